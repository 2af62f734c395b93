import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The logger never sees requests: call sites log only what they pass in, and
 * these paths are censored as a second line of defence should a careless call
 * site pass a request, a body or a credential.
 */
const redactPaths = [
  'req', 'request', 'headers', 'body', 'ip', 'ips', 'remoteAddress', 'userAgent',
  'passphrase', 'password', 'token', 'cookie', 'authorization', 'recoveryCode', 'code', 'memberKey',
  '*.memberKey', '*.passphrase', '*.password', '*.token', '*.cookie', '*.authorization', '*.headers', '*.ip',
];

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  });
}
