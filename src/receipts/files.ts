/** Writes key and JWKS files whole or not at all: temp file, then rename (or link, when exclusive). */
import { randomUUID } from 'node:crypto';
import { chmod, link, rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Writes `text` to `path` with file mode `mode` (set explicitly, whatever the umask). Readers
 * see the old file or the new one, never half of one. With `exclusive`, an existing file is
 * left alone and the call rejects with an `EEXIST` error.
 */
export async function writeFileAtomic(path: string, text: string, mode: number, exclusive = false): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, text, { mode, flag: 'wx' });
  try {
    await chmod(temp, mode);
    if (exclusive) {
      await link(temp, path);
      await unlink(temp);
    } else {
      await rename(temp, path);
    }
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}
