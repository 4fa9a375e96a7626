// Removes the build output so that deleted sources leave no stale compiled tests behind.
import { rmSync } from 'node:fs';
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
