/**
 * `dezc tf install` against a real HTTP server on loopback that serves a release the way
 * releases.hashicorp.com lays it out. Mostly a generated zip holding a STAND-IN `terraform` (a
 * shell script that reports its version, small and shaped for resume and checksum cases), the
 * SHA256SUMS of it, and index.json; and once the REAL terraform 1.11.4 release zip that
 * scripts/ensure-terraform.sh packs from the binary it builds. No HashiCorp download.
 */
import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {releasePlatform} from '../../../src/tf/install.js'
import {runCli} from '../../helpers/cli.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {makeZip} from '../../helpers/zip-writer.js'
import {realTerraform, realTerraformEnv} from '../../helpers/real-terraform.js'
import {makeTempDir} from '../../helpers/tmp.js'

const V = '1.9.8'
const rel = releasePlatform(process.platform, process.arch)
const ZIP = `terraform_${V}_${rel.os}_${rel.arch}.zip`
const zipPath = `/${V}/${ZIP}`
const sumsPath = `/${V}/terraform_${V}_SHA256SUMS`
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

// Padding makes the archive big enough for a meaningful resume test.
const standinBinary = `#!/bin/sh\n# stand-in terraform ${V}\ncase "$*" in *-json*) echo '{"terraform_version":"${V}","platform":"${rel.os}_${rel.arch}"}' ;; *) echo 'Terraform v${V}' ;; esac\n#${'x'.repeat(200_000)}\n`
const zip = await makeZip([
  {name: 'LICENSE.txt', data: 'stand-in licence'},
  {name: 'terraform', data: standinBinary, mode: 0o755, store: true},
])

let server: FileServer
let home: string
let binDir: string
let cache: string

function serveRelease(sumsFor: Buffer = zip): void {
  server.files.set(zipPath, zip)
  server.files.set(
    sumsPath,
    Buffer.from(`${'0'.repeat(64)}  terraform_${V}_freebsd_arm.zip\n${sha(sumsFor)}  ${ZIP}\n`),
  )
  server.files.set(
    '/index.json',
    Buffer.from(
      JSON.stringify({name: 'terraform', versions: {'1.9.8': {}, '1.10.5': {}, '1.11.4': {}, '1.12.0-alpha1': {}}}),
    ),
  )
}

/** `dezc tf install` with --mirror/--version/--bin-dir defaulted unless args give them. */
function install(args: string[] = [], extra: NodeJS.ProcessEnv = {}) {
  const defaults: string[] = []
  for (const [flag, value] of [
    ['--mirror', server.url],
    ['--version', V],
    ['--bin-dir', binDir],
  ])
    if (!args.includes(flag)) defaults.push(flag, value)
  return runCli(['tf', 'install', ...defaults, ...args], {
    env: {HOME: home, PATH: '/usr/bin:/bin', DEZC_CACHE_DIR: cache, SHELL: '/bin/bash', ...extra},
    cwd: home,
  })
}

beforeAll(async () => {
  server = await startFileServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  home = makeTempDir('dezc-tf-install-')
  binDir = path.join(home, '.local', 'bin')
  cache = path.join(home, 'cache')
  server.files.clear()
  server.requests.length = 0
  serveRelease()
})

describe('dezc tf install (loopback mirror, stand-in release)', () => {
  it('downloads, verifies against SHA256SUMS, installs an executable, says how to put it on PATH; a re-run changes nothing', async () => {
    const r = await install(['--json'])
    expect(r.code, r.stderr).toBe(0)
    const target = path.join(binDir, 'terraform')
    expect(r.json()).toMatchObject({
      action: 'installed',
      version: V,
      os: rel.os,
      arch: rel.arch,
      path: target,
      sha256: sha(zip),
      fromCache: false,
      onPath: false,
      url: `${server.url}${zipPath}`,
    })
    expect(r.json().pathHint[0]).toBe(`echo 'export PATH="$HOME/.local/bin:$PATH"' >> ~/.bashrc`)
    expect(fs.statSync(target).mode & 0o777).toBe(0o755)
    expect(fs.readFileSync(target, 'utf8')).toBe(standinBinary)
    expect(execFileSync(target, ['version', '-json'], {encoding: 'utf8'})).toContain(`"terraform_version":"${V}"`)
    expect(server.requests.map((q) => q.path)).toEqual([sumsPath, zipPath])

    server.requests.length = 0
    const again = await install()
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`terraform ${V} is already installed at ${target}.`)
    expect(server.requests).toEqual([])
  })

  it('--force reinstalls from the verified download cache without downloading again', async () => {
    expect((await install()).code).toBe(0)
    server.requests.length = 0
    const r = await install(['--force', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({action: 'reinstalled', fromCache: true})
    expect(server.requests.map((q) => q.path)).toEqual([sumsPath])
  })

  it('a checksum mismatch deletes the download and installs nothing (exit 1)', async () => {
    serveRelease(Buffer.from('something else'))
    const r = await install()
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /does not match terraform_1\.9\.8_SHA256SUMS .*The download was deleted; nothing was installed\. \[TF_CHECKSUM_MISMATCH\]/,
    )
    expect(fs.existsSync(path.join(binDir, 'terraform'))).toBe(false)
    expect(fs.readdirSync(path.join(cache, 'terraform'))).toEqual([])
  })

  it('an interrupted download resumes with a Range request', async () => {
    const part = path.join(cache, 'terraform', `${ZIP}.part`)
    fs.mkdirSync(path.dirname(part), {recursive: true})
    const half = Math.floor(zip.length / 2)
    fs.writeFileSync(part, zip.subarray(0, half))
    const r = await install()
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Resuming /)
    expect(server.requests.find((q) => q.path === zipPath)).toMatchObject({
      method: 'GET',
      path: zipPath,
      range: `bytes=${half}-`,
      status: 206,
    })
    expect(fs.readFileSync(path.join(binDir, 'terraform'), 'utf8')).toBe(standinBinary)
  })

  it('an unknown version lists the versions the mirror has (exit 2)', async () => {
    const r = await install(['--version', '9.9.9'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /terraform 9\.9\.9 is not on http:\/\/127\.0\.0\.1:\d+ \(no terraform_9\.9\.9_SHA256SUMS\)\. \[TF_VERSION_UNKNOWN\]/,
    )
    expect(r.stderr).toMatch(/Versions the mirror has \(newest first\): 1\.11\.4, 1\.10\.5, 1\.9\.8/)
  })

  it('"latest" resolves through the mirror\'s index.json (pre-releases ignored)', async () => {
    const r = await install(['--version', 'latest', '--dry-run', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().action).toBe('dry-run')
    const latest = await install(['--version', 'latest'])
    // 1.11.4 is listed but not served: the error proves which version was picked
    expect(latest.stderr).toMatch(/terraform 1\.11\.4 is not on/)
  })

  it('mirror from the environment; unreachable mirror and non-URL mirror are clear errors', async () => {
    const viaEnv = await runCli(['tf', 'install', '--version', V, '--bin-dir', binDir, '--json'], {
      env: {HOME: home, DEZC_TF_MIRROR: server.url, DEZC_CACHE_DIR: cache},
      cwd: home,
    })
    expect(viaEnv.code, viaEnv.stderr).toBe(0)
    expect(viaEnv.json().url).toBe(`${server.url}${zipPath}`)

    const down = await runCli(
      ['tf', 'install', '--mirror', 'http://127.0.0.1:9', '--version', V, '--bin-dir', path.join(home, 'b2')],
      {env: {HOME: home, DEZC_CACHE_DIR: cache}, cwd: home},
    )
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:9\/.*\[TF_MIRROR_UNREACHABLE\]/)
    expect(down.stderr).toMatch(/--mirror/)

    const bad = await install(['--mirror', 'ftp://example.com/tf'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/must be an http\(s\) URL\. \[TF_MIRROR_INVALID\]/)
  })

  it('a bin dir that cannot be created (a file is in the way): exit 1, clear message', async () => {
    const blocker = path.join(home, 'file-not-dir')
    fs.writeFileSync(blocker, '')
    const r = await install(['--bin-dir', path.join(blocker, 'bin')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/Cannot install into .*file-not-dir\/bin.*\[TF_BIN_DIR_NOT_WRITABLE\]/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('dezc tf install (loopback mirror, the real terraform release zip)', () => {
  it('installs the real terraform 1.11.4 from its zip and SHA256SUMS; the installed binary is real and runs a plan', async () => {
    const real = realTerraform()
    const zipName = `terraform_${real.version}_${rel.os}_${rel.arch}.zip`
    const sumsName = `terraform_${real.version}_SHA256SUMS`
    server.files.clear()
    server.set(`/${real.version}/${zipName}`, {file: path.join(real.releaseDir, zipName)})
    server.set(`/${real.version}/${sumsName}`, {file: path.join(real.releaseDir, sumsName)})
    const r = await install(['--version', real.version, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const target = path.join(binDir, 'terraform')
    const published = fs.readFileSync(path.join(real.releaseDir, sumsName), 'utf8').split(/\s+/)[0]
    expect(r.json()).toMatchObject({action: 'installed', version: real.version, path: target, sha256: published})
    expect(fs.statSync(target).mode & 0o777).toBe(0o755)
    // the very binary the zip was made from
    expect(sha(fs.readFileSync(target))).toBe(sha(fs.readFileSync(real.exe)))
    const v = JSON.parse(
      execFileSync(target, ['version', '-json'], {
        env: {TF_CLI_CONFIG_FILE: '', CHECKPOINT_DISABLE: '1'},
        encoding: 'utf8',
      }),
    ) as {terraform_version: string; platform: string}
    expect(v).toEqual(expect.objectContaining({terraform_version: real.version, platform: `${rel.os}_${rel.arch}`}))

    // and dezc runs it: a plan of a terraform_data configuration with only the installed binary on PATH
    const dir = path.join(home, 'cfg')
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, 'main.tf'), 'resource "terraform_data" "x" {\n  input = "installed"\n}\n')
    const plan = await runCli(['tf', 'plan', '--dir', dir, '--json'], {
      env: realTerraformEnv({...real, binDir}, home),
      cwd: home,
    })
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.json()).toMatchObject({changed: true, plan: {add: 1}, terraform: {path: target, version: real.version}})
  })
})
