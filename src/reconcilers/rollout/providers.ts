/**
 * Metric providers: what turns one metric of an AnalysisRun into a Measurement (Argo Rollouts'
 * `metricproviders.Provider`: Run, Resume, Terminate). A typed registry by the provider's key in
 * `metric.provider`; web and prometheus measure at once, job starts a Kubernetes Job and is resumed
 * until the Job completes or fails. Providers act through the Cluster port and an injected `fetch`.
 */
import type { MetricProvider } from "./providers-support.js";
import type { Metric } from "./types.js";
import { jobProvider } from "./providers-job.js";
import { prometheusProvider } from "./providers-prometheus.js";
import { webProvider } from "./providers-web.js";

export type { MetricProvider, ProviderContext } from "./providers-support.js";

const PROVIDERS: Record<string, MetricProvider> = {
  web: webProvider,
  prometheus: prometheusProvider,
  job: jobProvider,
};

/** The provider a metric names; throws a message naming the supported ones. */
export function providerFor(metric: Metric): MetricProvider {
  const kinds = Object.keys(metric.provider ?? {});
  const p = kinds.length === 1 ? PROVIDERS[kinds[0]] : undefined;
  if (!p) throw new Error(kinds.length === 1 ? `the ${kinds[0]} provider is not supported: Tiphys runs web, prometheus and job metrics` : "a metric needs exactly one provider");
  return p;
}

