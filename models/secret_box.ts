/**
 * Encrypts camera passwords at rest with AES-256-GCM. The key lives in `$VIGIL_DATA_DIR/secret.key`
 * (mode 0600), created at first start, so a database dump or a backup of the database alone does
 * not reveal camera credentials.
 *
 * @module
 */
import { join } from "node:path";

/** Encrypts and decrypts short secrets. */
export interface SecretBox {
  /** @returns base64 of `iv || ciphertext+tag` */
  seal(plaintext: string): Promise<string>;
  /** @throws {Error} when the value was not sealed with this key */
  open(sealed: string): Promise<string>;
}

const KEY_FILE = "secret.key";
const IV_BYTES = 12;

/**
 * Loads the key from the data dir, creating it on first use.
 *
 * @param dataDir Vigil's data directory
 * @returns a {@linkcode SecretBox} bound to that key
 */
export async function openSecretBox(dataDir: string): Promise<SecretBox> {
  const path = join(dataDir, KEY_FILE);
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = await Deno.readFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    raw = crypto.getRandomValues(new Uint8Array(32));
    // createNew: if another process created it in between, fail rather than overwrite its key.
    await Deno.writeFile(path, raw, { mode: 0o600, createNew: true });
  }
  if (raw.length !== 32) throw new Error(`secrets: ${path} must hold 32 bytes`);
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return {
    async seal(plaintext) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const data = new TextEncoder().encode(plaintext);
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, data),
      );
      const out = new Uint8Array(IV_BYTES + sealed.length);
      out.set(iv);
      out.set(sealed, IV_BYTES);
      return out.toBase64();
    },
    async open(sealed) {
      const bytes = Uint8Array.fromBase64(sealed);
      const iv = bytes.subarray(0, IV_BYTES);
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv },
        key,
        bytes.subarray(IV_BYTES),
      );
      return new TextDecoder().decode(plain);
    },
  };
}
