/** The parts of http_ece (Encrypted Content-Encoding for HTTP) the Web Push test uses to decrypt like a browser. */
declare module 'http_ece' {
  const ece: { decrypt(buffer: Buffer, params: Record<string, unknown>): Buffer };
  export default ece;
}
