/**
 * Settings of `dezc spark install`, resolved flag > env var > config (`spark:` section) > default.
 * (oclif folds the env var into the flag value; this module layers config and defaults under it.)
 */
import path from 'node:path'
import {z} from 'zod'
import {courseDefaults, resolveCourse, type Course} from '../config/course.js'
import {expandHome} from '../config/paths.js'
import {DEFAULT_JDK_MIRROR, defaultJavaMode} from './java.js'
import {parseSparkVersion} from './versions.js'

/** The 2023 course's Spark (the default edition); `--course 2026` gives 4.0.1 (src/config/course.ts). */
export const DEFAULT_SPARK_VERSION = '3.3.2'
export const DEFAULT_MIRROR = 'https://archive.apache.org/dist'
export const DEFAULT_PREFIX = '~/spark'
export const DEFAULT_JAVA = '11'

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')

export const sparkConfigSchema = z.strictObject({
  /** Spark release, e.g. 3.3.2. */
  version: z.string().min(1).optional(),
  /** Base URL of an Apache archive mirror (holding spark/spark-<v>/...). */
  mirror: httpUrl.optional(),
  /** Base URL holding openjdk-11.0.2_<os>-x64_bin.tar.gz and its .sha256. */
  jdkMirror: httpUrl.optional(),
  /** Where the JDK and Spark are extracted. */
  prefix: z.string().min(1).optional(),
  /** Shell rc file that gets the env block. */
  rcFile: z.string().min(1).optional(),
  shell: z.enum(['bash', 'zsh', 'fish']).optional(),
  /** 11, 17, 21, auto, or a JAVA_HOME path. */
  java: z.string().min(1).optional(),
  /** `dezc spark cluster up` defaults. */
  cluster: z
    .strictObject({
      image: z.string().min(1).optional(),
      workers: z.number().int().min(1).max(32).optional(),
      workerMemory: z.string().min(1).optional(),
      workerCores: z.number().int().min(1).optional(),
      masterPort: z.number().int().min(1).max(65535).optional(),
      uiPort: z.number().int().min(1).max(65535).optional(),
    })
    .optional(),
})
export type SparkConfig = z.infer<typeof sparkConfigSchema>

export interface SparkFlagValues {
  version?: string
  mirror?: string
  'jdk-mirror'?: string
  prefix?: string
  'rc-file'?: string
  shell?: string
  java?: string
  course?: string
}

export interface SparkSettings {
  version: string
  mirror: string
  jdkMirror: string
  prefix: string
  rcFile?: string
  shell?: 'bash' | 'zsh' | 'fish'
  java: string
}

/**
 * flag > env var > config > course edition > default. The Java default follows the version: OpenJDK 11
 * (downloaded) for Spark 3, an installed Java 17/21 (`auto`) for Spark 4, which does not run on 11. The env vars are also the flags' `env` in oclif; they are read
 * here too so callers without flags (the wizard, spark doctor) resolve exactly what `spark install` does.
 */
export function resolveSparkSettings(
  flags: SparkFlagValues,
  config: SparkConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
  /** The `course:` value of dezc.yaml (the edition's Spark version is the default). */
  courseConfig?: unknown,
): SparkSettings {
  const c = config ?? {}
  const course: Course = resolveCourse(flags.course, courseConfig, env)
  const abs = (p: string) => path.resolve(expandHome(p, env))
  const fromEnv = (name: string) => env[name] || undefined
  const rc = flags['rc-file'] ?? fromEnv('DEZC_SPARK_RC_FILE') ?? c.rcFile
  const version = flags.version ?? fromEnv('DEZC_SPARK_VERSION') ?? c.version ?? courseDefaults(course).spark.version
  const java = flags.java ?? fromEnv('DEZC_SPARK_JAVA') ?? c.java
  return {
    version,
    mirror: flags.mirror ?? fromEnv('DEZC_SPARK_MIRROR') ?? c.mirror ?? DEFAULT_MIRROR,
    jdkMirror: flags['jdk-mirror'] ?? fromEnv('DEZC_SPARK_JDK_MIRROR') ?? c.jdkMirror ?? DEFAULT_JDK_MIRROR,
    prefix: abs(flags.prefix ?? fromEnv('DEZC_SPARK_PREFIX') ?? c.prefix ?? DEFAULT_PREFIX),
    rcFile: rc === undefined ? undefined : abs(rc),
    shell: (flags.shell ?? c.shell) as SparkSettings['shell'],
    java: java ?? javaDefault(version),
  }
}

/** The --java default of a version; a bad version keeps '11' here (the install reports it, typed). */
function javaDefault(version: string): string {
  try {
    return defaultJavaMode(parseSparkVersion(version))
  } catch {
    return DEFAULT_JAVA
  }
}
