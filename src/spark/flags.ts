/** Flags of `dezc spark install|doctor` (only @oclif/core's Flags; resolution is settings.ts). */
import {Flags} from '@oclif/core'
import {dryRunFlag} from '../core/flags.js'

export const installFlags = {
  ...dryRunFlag,
  course: Flags.string({
    description:
      'Course edition whose Spark to install: 2023 (Spark 3.3.2 on OpenJDK 11) or 2026 (Spark 4.0.1 on Java 17/21). Default: course: in dezc.yaml, else 2023.',
    env: 'DEZC_COURSE',
    options: ['2023', '2026'],
  }),
  version: Flags.string({
    description:
      'Spark release to install, e.g. 3.3.2 or 4.0.1 (Scala 2.13, needs Java 17/21) [default: from --course: 3.3.2].',
    env: 'DEZC_SPARK_VERSION',
    aliases: ['spark-version'],
  }),
  mirror: Flags.string({
    description:
      'Base URL of an Apache archive mirror (holds spark/spark-<v>/spark-<v>-bin-hadoop3.tgz and .sha512) [default: https://archive.apache.org/dist].',
    env: 'DEZC_SPARK_MIRROR',
  }),
  'jdk-mirror': Flags.string({
    description:
      'Base URL holding openjdk-11.0.2_<os>-x64_bin.tar.gz and its .sha256 [default: https://download.java.net/java/GA/jdk11/9/GPL].',
    env: 'DEZC_SPARK_JDK_MIRROR',
  }),
  java: Flags.string({
    description:
      'Which Java: 11 (download OpenJDK 11), 17 or 21 (an installed Java of that major), auto (reuse an installed Java that suits this Spark, else 11 where Spark runs on it), or a JAVA_HOME path [default: 11 for Spark 3, auto for Spark 4].',
    env: 'DEZC_SPARK_JAVA',
  }),
  prefix: Flags.string({
    description: 'Directory the JDK and Spark are extracted into [default: ~/spark].',
    env: 'DEZC_SPARK_PREFIX',
  }),
  'rc-file': Flags.string({
    description:
      'Shell rc file that gets the env block [default: from $SHELL: ~/.bashrc, ~/.zshrc or ~/.config/fish/config.fish].',
    env: 'DEZC_SPARK_RC_FILE',
  }),
  shell: Flags.string({
    description: 'Syntax of the rc block (default: from --rc-file or $SHELL).',
    options: ['bash', 'zsh', 'fish'],
  }),
}

export const doctorFlags = {
  'rc-file': Flags.string({
    description: 'Shell rc file to look for the dezc block in [default: from $SHELL].',
    env: 'DEZC_SPARK_RC_FILE',
  }),
}

/** Flags of `dezc spark submit` (everything else on the line is the job's: FILE.py and its arguments). */
export const submitFlags = {
  ...dryRunFlag,
  master: Flags.string({
    description:
      'Where the job runs: local[*] (this machine, every core), local[N], or spark://HOST:7077 (the URL `dezc spark cluster up` prints) [default: local[*]].',
    env: 'DEZC_SPARK_MASTER',
  }),
  'spark-home': Flags.string({
    description:
      'Spark distribution to run [default: $SPARK_HOME, else the dezc block in the rc, else the install prefix].',
  }),
  'java-home': Flags.string({
    description: 'JDK to run Spark on [default: $JAVA_HOME, else the dezc block in the rc, else java on PATH].',
  }),
  python: Flags.string({
    description:
      'Interpreter for the driver and the Python workers (PYSPARK_PYTHON and PYSPARK_DRIVER_PYTHON both) [default: $PYSPARK_PYTHON, else python3].',
  }),
  'executor-python': Flags.string({
    description: "On a spark:// cluster: the workers' interpreter (spark.pyspark.python) [default: python3].",
  }),
  conf: Flags.string({description: 'A Spark setting KEY=VALUE for spark-submit (repeatable).', multiple: true}),
  'driver-memory': Flags.string({description: "The driver's memory, e.g. 1g (spark-submit --driver-memory)."}),
  'executor-memory': Flags.string({description: "Each executor's memory, e.g. 1g (spark-submit --executor-memory)."}),
  course: installFlags.course,
  version: Flags.string({
    description: 'The dezc-installed Spark to use when SPARK_HOME is unset [default: from --course: 3.3.2].',
    env: 'DEZC_SPARK_VERSION',
  }),
  prefix: installFlags.prefix,
  'rc-file': doctorFlags['rc-file'],
}

/** Flags of `dezc spark cluster up` (the stack flags come from env/flags.ts). */
export const clusterUpFlags = {
  ...dryRunFlag,
  workers: Flags.integer({description: 'Number of workers [default: 2].', min: 1, max: 32}),
  'worker-memory': Flags.string({description: 'Memory each worker offers executors, e.g. 1g [default: 2g].'}),
  'worker-cores': Flags.integer({description: 'Cores each worker offers [default: 1].', min: 1}),
  image: Flags.string({
    description:
      'Spark image (official apache/spark layout: /opt/spark, python3) [default: apache/spark:4.0.1-python3, or spark.cluster.image].',
    env: 'DEZC_SPARK_IMAGE',
  }),
  'master-port': Flags.integer({description: "Host port of the master's spark:// endpoint [default: 7077]."}),
  'ui-port': Flags.integer({description: "Host port of the master's web UI [default: 8090; 8080 is pgAdmin's]."}),
  data: Flags.string({
    description:
      'A folder mounted at the same path in the master and every worker, so a job reads file paths there on the driver and the workers alike.',
  }),
  publish: Flags.string({
    description:
      "Address on the engine host the master's ports are bound to, e.g. 0.0.0.0 or a LAN address (with --allow-lan beyond loopback) [default: the profile's publish].",
  }),
  'allow-lan': Flags.boolean({
    description:
      'Accept publishing the master beyond loopback (a NAS/LAN profile): it has no authentication, so anyone reaching it can run code on the workers.',
  }),
}

/**
 * The engine of `dezc spark cluster up|status|down`: a Docker CLI context instead of the profile's
 * (--host) or --docker-host, as `docker --context NAME` picks it.
 */
export const clusterEngineFlags = {
  'docker-context': Flags.string({
    description:
      'Docker CLI context whose engine runs the cluster (docker context ls; `default` = this machine): another machine you use as a context. Not with --host or --docker-host.',
    exclusive: ['host', 'docker-host'],
    helpGroup: 'STACK',
  }),
}
