/**
 * The env capability's operations: everything the env commands (and the wizard, doctor and
 * ingest) ask of a stack. No oclif here; prompts only through the Ui's prompter. One module per
 * operation behind this one entry point (up converges, down removes, status observes, ...).
 */
export {envCompose, type ComposeResult} from './compose.js'
export {stackCredentials, type StackCredentials} from './credentials.js'
export {envDown, type EnvDownResult} from './down.js'
export {envExec, envExecCapture} from './exec.js'
export {envLogs, type LogLine} from './logs.js'
export {planDown, planUp, type DryRunResult} from './plan.js'
export {ensureSecrets} from './secrets.js'
export {envStatus, type EnvStatusResult} from './status.js'
export {envUp, type EnvUpResult} from './up.js'
export {envUpgrade, type EnvUpgradeResult} from './upgrade.js'
