import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most test files wait (on simulated clusters, child processes, timers) more than they compute: on a
    // 2-core machine a CI run kept the CPUs about 40 % busy with one fork per core (13 min), and twice the
    // cores saturated them (9 min, timing-sensitive tests strained). One fork more than the cores.
    maxWorkers: availableParallelism() + 1,
  },
});
