/** Human output of `dezc wizard`: the closing summary with the commands that repeat the run. */
import type {WizardResult} from './service.js'

export function renderSummary(r: WizardResult, heading = 'Done'): string {
  const lines = [`${heading}. Steps:`]
  for (const s of r.steps) lines.push(`  ${s.status.padEnd(11)} ${s.title}${s.summary ? ` — ${s.summary}` : ''}`)
  lines.push(
    '',
    r.commands.length > 0
      ? 'To repeat the finished steps without the wizard:'
      : 'No step finished, so there is nothing to repeat.',
  )
  for (const c of r.commands) lines.push(`  ${c}`)
  lines.push('', `Answers saved in ${r.answersFile}; the next \`dezc wizard\` starts from them.`)
  return lines.join('\n')
}
