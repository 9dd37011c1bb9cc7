/**
 * The REAL terraform the tests use: built from its Go module source by scripts/ensure-terraform.sh
 * (called by scripts/test-all.sh) into /var/cache/dezc-test/terraform/<version>/, with a release
 * zip of it in release/. A terraform elsewhere on the machine is never used: the PATH below holds
 * only that directory and the system's.
 */
import fs from 'node:fs'
import path from 'node:path'

export const REAL_TERRAFORM_VERSION = '1.11.4'

export interface RealTerraform {
  /** Directory holding `terraform`: put it first on PATH. */
  binDir: string
  exe: string
  version: string
  /** Directory holding terraform_<v>_<os>_<arch>.zip and terraform_<v>_SHA256SUMS. */
  releaseDir: string
}

export function realTerraform(): RealTerraform {
  const dir = process.env.DEZC_TEST_TERRAFORM_DIR ?? path.join('/var/cache/dezc-test/terraform', REAL_TERRAFORM_VERSION)
  const exe = path.join(dir, 'terraform')
  if (!fs.existsSync(exe) || !fs.existsSync(path.join(dir, 'release')))
    throw new Error(`No real terraform in ${dir}: run bash scripts/ensure-terraform.sh first`)
  return {binDir: dir, exe, version: REAL_TERRAFORM_VERSION, releaseDir: path.join(dir, 'release')}
}

/**
 * The environment for a real terraform run under dezc: its own HOME, no CLI configuration of the
 * machine (TF_CLI_CONFIG_FILE may point at one), no checkpoint call home, no Google credentials.
 */
export function realTerraformEnv(tf: RealTerraform, home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HOME: home,
    PATH: [tf.binDir, '/usr/bin', '/bin'].join(path.delimiter),
    TF_CLI_CONFIG_FILE: '',
    CHECKPOINT_DISABLE: '1',
    GOOGLE_APPLICATION_CREDENTIALS: '',
    ...extra,
  }
}
