#include "services/discovery/wiring.h"

#include <atomic>
#include <condition_variable>
#include <thread>

#include "libs/core/log.h"
#include "services/discovery/catalogue_service.h"
#include "services/discovery/handlers/bus_handlers.h"

namespace mpli::discovery {

// Compiled in from services/discovery/migrations and ontology/shapes/manifest.ttl.
const std::vector<db::Migration>& migrations();
const std::string& manifest_shapes();

namespace {

// Workers that refresh due providers until stopped; each looks again at once while there is
// work, else after a second.
class RefreshScheduler {
 public:
  RefreshScheduler(CatalogueService& catalogue, int batch, int workers)
      : catalogue_(catalogue), batch_(batch) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
  }
  ~RefreshScheduler() { stop(); }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      int attempted = catalogue_.refresh_due(batch_);
      lock.lock();
      if (attempted < batch_) wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  }
  CatalogueService& catalogue_;
  int batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // last: started after everything they use exists
};

FetchPolicy policy_from(const config::Config& config) {
  FetchPolicy policy;
  policy.allow_http = config.get_bool("fetch.allow_http");
  policy.allow_loopback = config.get_bool("fetch.allow_loopback");
  policy.allow_private = config.get_bool("fetch.allow_private");
  policy.max_bytes = static_cast<size_t>(config.get_int("fetch.max_bytes"));
  policy.timeout = config.get_duration("fetch.timeout");
  policy.max_redirects = config.get_int("fetch.max_redirects");
  policy.refresh_interval = config.get_duration("refresh.interval");
  policy.max_backoff = config.get_duration("refresh.max_backoff");
  return policy;
}

}  // namespace

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "discovery";
  definition.schema = "discovery";
  definition.migrations = &migrations();
  definition.settings = {
      {"fetch.allow_http", "false", "fetch manifests over plain http://", config::boolean()},
      {"fetch.allow_loopback", "false", "fetch from 127.0.0.0/8 and ::1", config::boolean()},
      {"fetch.allow_private", "false", "fetch from private and link-local ranges", config::boolean()},
      {"fetch.max_bytes", "16777216", "largest manifest accepted", config::int_between(1024, 1 << 30)},
      {"fetch.timeout", "10s", "whole-fetch time limit", config::duration()},
      {"fetch.max_redirects", "3", "redirects followed", config::int_between(0, 10)},
      {"refresh.interval", "1h", "how often a manifest is fetched again", config::duration()},
      {"refresh.max_backoff", "24h", "longest wait after repeated failures", config::duration()},
      {"refresh.batch", "8", "providers one refresh worker claims at a time", config::int_between(1, 1000)},
      {"refresh.workers", "4", "parallel refresh workers", config::int_between(1, 64)},
      {"handlers.concurrency", "4", "requests handled in parallel per subject", config::int_between(1, 64)},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    auto checker = ManifestChecker::from_text(manifest_shapes());
    if (!checker) return checker.status();
    auto store = std::make_shared<CatalogueStore>(*context.pool);
    auto catalogue = std::make_shared<CatalogueService>(*store, *checker, policy_from(context.config));
    MPLI_RETURN_IF_ERROR(serve_discovery_subjects(context, *catalogue,
                                                  context.config.get_int("handlers.concurrency")));
    auto scheduler = std::make_shared<RefreshScheduler>(
        *catalogue, context.config.get_int("refresh.batch"), context.config.get_int("refresh.workers"));
    // Stop hooks run after the subscriptions drained; they keep these alive until then.
    context.on_stop.push_back([store, catalogue, scheduler] { scheduler->stop(); });
    return Status::ok();
  };
  return definition;
}

}  // namespace mpli::discovery
