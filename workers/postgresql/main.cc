// mpli-worker-postgresql: creates, changes and drops one database and role per order on the
// provider's own PostgreSQL server (README.md). Wiring only; the work is in PostgresProvisioner.
#include <memory>

#include "libs/worker/worker.h"
#include "workers/postgresql/postgres_provisioner.h"
#include "workers/postgresql/worker_flags.h"

int main(int argc, char** argv) {
  using mpli::worker::Progress;
  using mpli::worker::Work;
  return mpli::worker::worker_main(
      argc, argv, "postgresql", mpli::pgworker::extra_flags(),
      [](mpli::worker::Worker& worker, const mpli::worker::Flags& flags) -> mpli::Status {
        MPLI_ASSIGN_OR_RETURN(auto config, mpli::pgworker::config_from_flags(flags));
        auto pg = std::make_shared<const mpli::pgworker::PostgresProvisioner>(std::move(config));
        worker.on("provision", [pg](const Work& w, Progress& p) { return pg->provision(w, p); });
        worker.on("modify", [pg](const Work& w, Progress& p) { return pg->modify(w, p); });
        worker.on("deprovision",
                  [pg](const Work& w, Progress& p) { return pg->deprovision(w, p); });
        worker.on("export", [pg](const Work& w, Progress& p) { return pg->export_database(w, p); });
        worker.on("import", [pg](const Work& w, Progress& p) { return pg->import_database(w, p); });
        return mpli::Status::ok();
      });
}
