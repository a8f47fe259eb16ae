import { loadFixture as restoreFixture, mine } from "@nomicfoundation/hardhat-network-helpers";

/**
 * Hardhat's `loadFixture`, then one block mined. A reverted snapshot's latest block keeps the time the snapshot was
 * taken — minutes ago when a fixture is shared by many files, or by the files one worker of a parallel run took —
 * while the next block takes the clock's time: "100 s from the latest block" would already be past. After the mined
 * block, the latest block's time is now, as in a fresh fixture.
 */
export async function loadFixture<T>(fixture: () => Promise<T>): Promise<T> {
  const value = await restoreFixture(fixture);
  await mine();
  return value;
}
