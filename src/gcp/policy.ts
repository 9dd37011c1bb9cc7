/**
 * Pure project-IAM-policy logic: add or remove one member from a set of roles, touching only the
 * role's unconditional binding and never anything else (other members, conditional bindings,
 * audit configs, the etag). No I/O; unit-tested on its own.
 */

export interface Expr {
  title?: string
  expression?: string
  description?: string
  location?: string
}

export interface Binding {
  role: string
  members?: string[]
  condition?: Expr | null
}

export interface Policy {
  version?: number
  etag?: string
  bindings?: Binding[]
  auditConfigs?: unknown[]
}

export interface PolicyChange {
  policy: Policy
  /** Roles whose unconditional binding gained the member. */
  changed: string[]
  /** Roles that already had the member unconditionally. */
  unchanged: string[]
}

/** A role name that a lower policy version produced from a conditional binding; never write it back. */
export function isDowngradedConditionalRole(role: string): boolean {
  return role.includes('_withcond_')
}

function clone(policy: Policy): Policy {
  return JSON.parse(JSON.stringify(policy)) as Policy
}

function isUnconditional(b: Binding): boolean {
  return b.condition === undefined || b.condition === null
}

/** Does the member hold the role through an unconditional binding? */
export function hasUnconditionalRole(policy: Policy, role: string, member: string): boolean {
  return (policy.bindings ?? []).some(
    (b) => b.role === role && isUnconditional(b) && (b.members ?? []).includes(member),
  )
}

/** Roles (of those asked) the member does not hold unconditionally. */
export function missingRoles(policy: Policy, roles: string[], member: string): string[] {
  return roles.filter((r) => !hasUnconditionalRole(policy, r, member))
}

/**
 * Add `member` to each role's unconditional binding (creating the binding when there is none).
 * The result always carries `version: 3` (conditions must survive the write) and keeps the etag.
 */
export function addMember(policy: Policy, roles: string[], member: string): PolicyChange {
  const downgraded = (policy.bindings ?? []).find((b) => isDowngradedConditionalRole(b.role))
  if (downgraded) {
    throw new Error(
      `The policy holds a role rewritten from a conditional binding (${downgraded.role}); it was read with a policy version below 3 and must not be written back.`,
    )
  }
  const next = clone(policy)
  next.bindings ??= []
  const changed: string[] = []
  const unchanged: string[] = []
  for (const role of unique(roles)) {
    const binding = next.bindings.find((b) => b.role === role && isUnconditional(b))
    if (binding) {
      binding.members ??= []
      if (binding.members.includes(member)) {
        unchanged.push(role)
        continue
      }
      binding.members.push(member)
    } else {
      next.bindings.push({role, members: [member]})
    }
    changed.push(role)
  }
  next.version = 3
  return {policy: next, changed, unchanged}
}

/**
 * Remove `member` from each role's unconditional binding; drop a binding only when it becomes
 * empty. Conditional bindings and every other member stay as they are.
 */
export function removeMember(policy: Policy, roles: string[], member: string): PolicyChange {
  const next = clone(policy)
  const wanted = new Set(roles)
  const changed: string[] = []
  const unchanged: string[] = []
  const kept: Binding[] = []
  for (const b of next.bindings ?? []) {
    if (wanted.has(b.role) && isUnconditional(b) && (b.members ?? []).includes(member)) {
      b.members = (b.members ?? []).filter((m) => m !== member)
      if (!changed.includes(b.role)) changed.push(b.role)
      if (b.members.length === 0) continue
    }
    kept.push(b)
  }
  for (const r of unique(roles)) if (!changed.includes(r)) unchanged.push(r)
  next.bindings = kept
  next.version = 3
  return {policy: next, changed, unchanged}
}

/** Roles the member holds unconditionally in this policy (for status and teardown reports). */
export function rolesOf(policy: Policy, member: string): string[] {
  return (policy.bindings ?? [])
    .filter((b) => isUnconditional(b) && (b.members ?? []).includes(member))
    .map((b) => b.role)
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)]
}
