/** Why a write into a cache folder failed, in words: read-only, no permission, disk full. */
export function whyUnwritable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return 'a read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the disk is full';
  // recursive mkdir under a read-only or vanished parent reports ENOENT
  if (code === 'ENOENT') return 'its folder cannot be made: read-only or missing';
  return err instanceof Error ? err.message : String(err);
}
