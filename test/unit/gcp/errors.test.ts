import {describe, expect, it} from 'vitest'
import {ExitCode} from '../../../src/core/errors.js'
import {validateAccountId, validateProjectId, normaliseRole, serviceName} from '../../../src/gcp/defaults.js'
import {isAccountNotYetKnown, isNotYetVisible, toGcpError} from '../../../src/gcp/errors.js'
import {errors} from '../../helpers/fake-gcp.js'

/** A GaxiosError-shaped object carrying one of the real error bodies. */
const gaxios = (e: {status: number; body: unknown}) =>
  Object.assign(new Error('request failed'), {status: e.status, response: {status: e.status, data: e.body}})
const ctx = {action: 'creating a key', project: 'p1', account: 'dezc-sa@p1.iam.gserviceaccount.com'}

describe('toGcpError', () => {
  it('API disabled: names the API, gives the activation link and explains the consumer project', () => {
    const e = toGcpError(gaxios(errors.serviceDisabled('iam.googleapis.com', '123456789012')), ctx)
    expect(e.code).toBe('API_NOT_ENABLED')
    expect(e.exit).toBe(ExitCode.PREREQUISITE)
    expect(e.message).toContain('Identity and Access Management (IAM) API')
    expect(e.suggestions.join(' ')).toContain(
      'https://console.developers.google.com/apis/api/iam.googleapis.com/overview?project=123456789012',
    )
    expect(e.suggestions.join(' ')).toContain('quota project')
  })

  it('key creation blocked: names the constraint and offers impersonation', () => {
    const e = toGcpError(
      gaxios(errors.keyCreationBlocked('p1', ctx.account, 'constraints/iam.managed.disableServiceAccountKeyCreation')),
      ctx,
    )
    expect(e.code).toBe('KEY_CREATION_DISABLED')
    expect(e.message).toContain('constraints/iam.managed.disableServiceAccountKeyCreation')
    expect(e.suggestions.join(' ')).toContain('--impersonate-service-account=dezc-sa@p1.iam.gserviceaccount.com')
  })

  it('ten-key limit (both the current 400 and the older 429)', () => {
    expect(toGcpError(gaxios(errors.tooManyKeys()), ctx).code).toBe('KEY_LIMIT_REACHED')
    const old = {
      status: 429,
      body: {error: {code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Maximum number of keys on account reached.'}},
    }
    expect(toGcpError(gaxios(old), ctx).code).toBe('KEY_LIMIT_REACHED')
  })

  it('billing, permission, expired login and network failures', () => {
    expect(
      toGcpError(gaxios(errors.billing('123', ['compute.googleapis.com'])), {action: 'enabling APIs', project: 'p1'})
        .code,
    ).toBe('BILLING_NOT_ENABLED')
    const denied = toGcpError(gaxios(errors.iamDenied('iam.serviceAccounts.create')), {
      ...ctx,
      principal: 'me@example.com',
    })
    expect([denied.code, denied.exit, denied.details?.permission]).toEqual([
      'PERMISSION_DENIED',
      ExitCode.PREREQUISITE,
      'iam.serviceAccounts.create',
    ])
    expect(denied.suggestions[0]).toContain('me@example.com')
    const enable = toGcpError(gaxios(errors.enableDenied('iam.googleapis.com')), ctx)
    expect(enable.details?.permission).toBe('serviceusage.services.enable')
    const grant = {status: 400, body: {error: 'invalid_grant', error_description: 'Token has been expired or revoked.'}}
    const auth = toGcpError(gaxios(grant), ctx)
    expect([auth.code, auth.exit]).toEqual(['NOT_AUTHENTICATED', ExitCode.PREREQUISITE])
    expect(toGcpError(gaxios(errors.unauthenticated()), ctx).code).toBe('NOT_AUTHENTICATED')
    const net = toGcpError(Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}), ctx)
    expect([net.code, net.details?.networkCode]).toEqual(['NETWORK_ERROR', 'ECONNRESET'])
    expect(net.suggestions[0]).toContain('resumes')
  })

  it('classifies eventual-consistency answers as retryable', () => {
    expect(isNotYetVisible(gaxios(errors.saNotFound()))).toBe(true)
    expect(
      isNotYetVisible(
        gaxios({
          status: 403,
          body: {
            error: {
              code: 403,
              status: 'PERMISSION_DENIED',
              message: "Permission 'iam.serviceAccounts.get' denied on resource (or it may not exist).",
            },
          },
        }),
      ),
    ).toBe(true)
    expect(isNotYetVisible(gaxios(errors.serviceDisabled('iam.googleapis.com', '1')))).toBe(false)
    expect(isAccountNotYetKnown(gaxios(errors.saDoesNotExist('dezc-sa@p1.iam.gserviceaccount.com')))).toBe(true)
    expect(isAccountNotYetKnown(gaxios(errors.aborted()))).toBe(false)
  })
})

describe('identifiers', () => {
  it('accepts project IDs and explains names', () => {
    expect(validateProjectId('my-proj-123')).toBe('my-proj-123')
    expect(() => validateProjectId('My Zoomcamp Project')).toThrow(/not a valid Google Cloud project ID/)
    expect(() => validateProjectId('abc')).toThrow()
    expect(() => validateProjectId('ends-with-')).toThrow()
  })
  it('checks account names, roles and API names', () => {
    expect(validateAccountId('dezc-sa')).toBe('dezc-sa')
    expect(() => validateAccountId('sa')).toThrow(/not a valid service account name/)
    expect(() => validateAccountId('Bad_Name')).toThrow()
    expect(normaliseRole('storage.admin')).toBe('roles/storage.admin')
    expect(() => normaliseRole('roles/not a role')).toThrow()
    expect(serviceName('iam')).toBe('iam.googleapis.com')
    expect(serviceName('bigquery.googleapis.com')).toBe('bigquery.googleapis.com')
  })
})
