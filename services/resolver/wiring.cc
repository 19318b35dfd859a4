#include "services/resolver/wiring.h"

#include <malloc.h>
#include <unistd.h>

#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/process/heap_trim.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/trust/v1/trust.pb.h"
#include "services/resolver/federation.h"
#include "services/resolver/handlers/bus_handlers.h"
#include "services/resolver/resolver_service.h"
#include "services/resolver/store/resolution_store.h"

namespace mpli::resolver {

// Compiled in from services/resolver/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();
// Compiled in from ontology/shapes/consumer.ttl by mpli_embed_text.
const std::string& consumer_shapes();

namespace {

// One event = re-read what it names: the provider's manifest, or the subject's facts. Reading
// the current state (not applying the event's delta) makes redelivery and reordering harmless.
Status apply_event(ResolverService& resolver, const bus::Message& message) {
  common::v1::Envelope envelope;
  if (!envelope.ParseFromString(message.data)) {
    return invalid_argument(message.subject + ": not an mpli.common.v1.Envelope");
  }
  const std::string& subject = message.subject;
  auto ends_with = [&subject](const std::string& tail) {
    return subject.size() >= tail.size() &&
           subject.compare(subject.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with(".manifest_ingested")) {
    discovery::v1::ManifestIngested event;
    if (!event.ParseFromString(envelope.payload()))
      return invalid_argument("bad manifest_ingested");
    return resolver.sync_provider(event.provider_id());
  }
  if (ends_with(".offering_removed")) {
    discovery::v1::OfferingRemoved event;
    if (!event.ParseFromString(envelope.payload())) return invalid_argument("bad offering_removed");
    return resolver.sync_provider(event.provider_id());
  }
  if (ends_with(".facts_changed")) {
    trust::v1::FactsChanged event;
    if (!event.ParseFromString(envelope.payload())) return invalid_argument("bad facts_changed");
    return resolver.sync_facts(event.subject());
  }
  return Status::ok();
}

void keep_freed_memory() {
  // A resolve at 100,000 offerings allocates some 10-20 MB of candidates and placements and
  // frees them when it answers; by default glibc gives such blocks back to the kernel (mmap
  // above its threshold, trimming the heap's top), and the next resolve pays a page fault for
  // every 4 KiB again: a quarter of a broad resolve's time. Kept for reuse instead, up to
  // 256 MiB above the heap's top (the process's peak does not change, its floor does).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

}  // namespace

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "resolver";
  definition.schema = "resolver";
  definition.migrations = &migrations();
  definition.settings = {
      {"resolve.top_k", "10", "answers returned when a request does not say",
       config::int_between(1, 100)},
      {"resolve.explain_limit", "20", "rejected candidates listed per requirement by default",
       config::int_between(0, 1000)},
      {"resolve.max_search_nodes", "5000000",
       "composition search nodes per resolution before it answers with what it has",
       config::int_between(1000, 1000000000)},
      {"resolve.match_threads", "2",
       "threads that check one resolution's candidates, each a run of providers (1: the "
       "request's thread alone)",
       config::int_between(1, 64)},
      {"manifest.max_bytes", "1048576", "largest consumer manifest (bytes)",
       config::int_between(1024, 64 << 20)},
      {"federation.timeout", "10s", "deadline of each request to discovery and trust",
       config::duration()},
      {"index.load_retry", "2s", "pause between attempts to load the index at start",
       config::duration()},
      {"index.compaction_slack", "1000000",
       "unused terms (of replaced provider versions and consumer manifests) beyond the used "
       "ones before the index is rebuilt",
       config::int_between(0, 1000000000)},
      {"memory.trim_after_idle", "60s",
       "give the heap's free pages back to the kernel once the index has not changed and no "
       "resolution has been made for this long (0s: never)",
       config::duration()},
      {"index.compaction_check", "30s",
       "how often the term table's unused terms are checked (rebuilt when they outnumber the "
       "used ones)",
       config::duration()},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    keep_freed_memory();
    const config::Config& config = context.config;
    ManifestLimits limits;
    limits.max_bytes = static_cast<size_t>(config.get_int("manifest.max_bytes"));
    MPLI_ASSIGN_OR_RETURN(auto reader, ConsumerManifestReader::create(consumer_shapes(), limits));
    auto store = context.own(std::make_shared<ResolutionStore>(*context.pool));
    auto federation = context.own(
        std::make_shared<BusFederation>(context.bus, config.get_duration("federation.timeout")));
    ResolverOptions options;
    options.default_top_k = static_cast<size_t>(config.get_int("resolve.top_k"));
    options.default_explain_limit = static_cast<size_t>(config.get_int("resolve.explain_limit"));
    options.max_search_nodes = static_cast<uint64_t>(config.get_int("resolve.max_search_nodes"));
    options.match_threads = static_cast<size_t>(config.get_int("resolve.match_threads"));
    options.compaction_slack = static_cast<size_t>(config.get_int("index.compaction_slack"));
    auto resolver =
        context.own(std::make_shared<ResolverService>(*federation, *store, reader, options));
    MPLI_RETURN_IF_ERROR(serve_resolver_subjects(context, *resolver));
    context.add_health_check("index", [resolver] { return resolver->ready() ? "ok" : "loading"; });

    // Every instance keeps its own index, so each needs every event: a consumer per instance,
    // created before the index loads (events meanwhile wait for it), removed by the server
    // when the instance is gone.
    service::EventConsumerSpec spec;
    spec.durable = "resolver-index-" + ids::new_uuid_v7().substr(0, 8) + std::to_string(getpid());
    spec.subjects = {service::event_subject("discovery", "manifest_ingested"),
                     service::event_subject("discovery", "offering_removed"),
                     service::event_subject("trust", "facts_changed")};
    spec.deliver_new_only = true;
    spec.inactive_threshold = std::chrono::minutes(5);
    spec.max_attempts = 1000;  // transient while loading or while discovery/trust are away
    spec.backoff_max = std::chrono::seconds(2);
    MPLI_RETURN_IF_ERROR(
        context.consume(spec, [resolver](const bus::Message& message, const service::Delivery&) {
          return apply_event(*resolver, message);
        }));
    context.every("index-compaction", config.get_duration("index.compaction_check"),
                  [resolver](const service::StopToken&) {
                    if (!resolver->needs_compaction()) return;
                    log::info("compacting the catalogue index (rebuilding it from the exports)");
                    Status rebuilt = resolver->load_all();
                    if (!rebuilt.is_ok())
                      log::warn("index compaction failed: " + rebuilt.to_string());
                  });
    // Freed blocks are kept for the next resolve (keep_freed_memory); once all is quiet, what a
    // burst of events or a compaction left free goes back to the kernel.
    auto trim_after = config.get_duration("memory.trim_after_idle");
    auto last_trim = std::make_shared<process::Clock::time_point>();
    context.every(
        "memory-trim", std::chrono::seconds(10),
        [resolver, trim_after, last_trim](const service::StopToken&) {
          const auto now = process::Clock::now();
          if (!process::trim_due(resolver->last_activity(), *last_trim, now, trim_after)) {
            return;
          }
          *last_trim = now;
          process::HeapTrim trimmed = process::trim_heap();
          log::info("heap trimmed after a quiet while",
                    {{"resident_mib_before", std::to_string(trimmed.resident_before >> 20)},
                     {"resident_mib_after", std::to_string(trimmed.resident_after >> 20)}});
        });
    auto retry = config.get_duration("index.load_retry");
    context.run_worker("index-load", [resolver, retry](const service::StopToken& stop) {
      while (!stop.stop_requested()) {
        Status loaded = resolver->load_all();
        if (loaded.is_ok()) return;
        log::warn("catalogue index not loaded yet; retrying", {{"error", loaded.to_string()}});
        stop.wait_for(retry);
      }
    });
    return Status::ok();
  };
  return definition;
}

}  // namespace mpli::resolver
