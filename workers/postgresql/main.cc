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
        using Op = mpli::worker::Outcome (mpli::pgworker::PostgresProvisioner::*)(const Work&,
                                                                                  Progress&) const;
        for (auto [name, op] :
             {std::pair<const char*, Op>{"provision",
                                         &mpli::pgworker::PostgresProvisioner::provision},
              {"modify", &mpli::pgworker::PostgresProvisioner::modify},
              {"deprovision", &mpli::pgworker::PostgresProvisioner::deprovision},
              {"export", &mpli::pgworker::PostgresProvisioner::export_database},
              {"import", &mpli::pgworker::PostgresProvisioner::import_database}}) {
          worker.on(name, [pg, op = op](const Work& work, Progress& progress) {
            return ((*pg).*op)(work, progress);
          });
        }
        return mpli::Status::ok();
      });
}
