/** Flags of `dezc spark install|doctor` (only @oclif/core's Flags; resolution is settings.ts). */
import {Flags} from '@oclif/core'
import {dryRunFlag} from '../core/flags.js'

export const installFlags = {
  ...dryRunFlag,
  version: Flags.string({
    description: 'Spark release to install [default: 3.3.2].',
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
      'Which Java: 11 (download OpenJDK 11), auto (reuse an installed Java that suits this Spark, else 11), or a JAVA_HOME path [default: 11].',
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
