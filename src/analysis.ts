/**
 * The analysis pipeline as every surface runs it (replay now, the live proxy later): the registered analyzers,
 * limits from the configuration, destinations named from the catalogue (operators, by host or by request shape)
 * and the configuration (first or third party). The one place where the sans-io core meets the configuration and
 * the analyzer registry.
 */
import { analyzers } from '../analyzers/index.ts';
import { operatorOf, operatorOfRequest } from '../analyzers/lib/services.ts';
import { type Config, configLimits, isThirdParty } from './config.ts';
import type { Analyzer } from './model/analyzer.ts';
import { type DestinationResolver, destinationResolver } from './pipeline/destination.ts';
import type { PipelineOutput } from './pipeline/output.ts';
import { Pipeline } from './pipeline/pipeline.ts';

export function analysisPipeline(
  config: Config,
  output: PipelineOutput,
  extra: readonly Analyzer[] = [],
  registry: readonly Analyzer[] = analyzers,
): Pipeline {
  return new Pipeline({
    analyzers: [...registry, ...extra],
    output,
    limits: configLimits(config),
    destination: configuredDestinations(config),
  });
}

/** Destinations as the configuration and the catalogue name them: third party per device, operator by host or request. */
export function configuredDestinations(config: Config): DestinationResolver {
  return destinationResolver((deviceId, host) => isThirdParty(config, deviceId, host), operatorOf, operatorOfRequest);
}
