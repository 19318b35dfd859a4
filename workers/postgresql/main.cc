// mpli-worker-postgresql: creates, changes and drops one database and role per order on the
// provider's own PostgreSQL server, and moves it in a migration (README.md). Wiring only; the
// work is in PostgresProvisioner and PostgresMigrator.
#include <memory>

#include "libs/worker/worker.h"
#include "workers/postgresql/migration_operations.h"
#include "workers/postgresql/postgres_provisioner.h"
#include "workers/postgresql/worker_flags.h"

int main(int argc, char** argv) {
  using mpli::worker::Progress;
  using mpli::worker::Work;
  return mpli::worker::worker_main(
      argc, argv, "postgresql", mpli::pgworker::extra_flags(),
      [](mpli::worker::Worker& worker, const mpli::worker::Flags& flags) -> mpli::Status {
        MPLI_ASSIGN_OR_RETURN(auto config, mpli::pgworker::config_from_flags(flags));
        auto pg = std::make_shared<const mpli::pgworker::PostgresProvisioner>(config);
        auto mig = std::make_shared<const mpli::pgworker::PostgresMigrator>(std::move(config));
        using Migrator = mpli::pgworker::PostgresMigrator;
        worker.on("provision", [pg](const Work& w, Progress& p) { return pg->provision(w, p); });
        worker.on("modify", [pg](const Work& w, Progress& p) { return pg->modify(w, p); });
        worker.on("deprovision",
                  [pg](const Work& w, Progress& p) { return pg->deprovision(w, p); });
        worker.on("export", [pg, mig](const Work& w, Progress& p) {
          return Migrator::is_migration_item(w) ? mig->export_database(w, p)
                                                : pg->export_database(w, p);
        });
        worker.on("import", [pg, mig](const Work& w, Progress& p) {
          return Migrator::is_migration_item(w) ? mig->import_database(w, p)
                                                : pg->import_database(w, p);
        });
        worker.on("catch_up", [mig](const Work& w, Progress& p) { return mig->catch_up(w, p); });
        worker.on("freeze", [mig](const Work& w, Progress& p) { return mig->freeze(w, p); });
        worker.on("unfreeze", [mig](const Work& w, Progress& p) { return mig->unfreeze(w, p); });
        worker.on("finalize", [mig](const Work& w, Progress& p) { return mig->finalize(w, p); });
        worker.on("checksum", [mig](const Work& w, Progress& p) { return mig->checksum(w, p); });
        worker.on("hash_probe",
                  [mig](const Work& w, Progress& p) { return mig->hash_probe(w, p); });
        worker.on("cleanup", [mig](const Work& w, Progress& p) { return mig->cleanup(w, p); });
        return mpli::Status::ok();
      });
}
