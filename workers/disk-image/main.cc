// mpli-worker-disk-image: one virtual-machine disk image per order in the provider's image
// store, driven with qemu-img, and its migration to another store (README.md). Wiring only;
// the work is in DiskImageStore.
#include <memory>

#include "libs/bus/connection.h"
#include "libs/worker/worker.h"
#include "workers/disk-image/disk_image_store.h"
#include "workers/disk-image/worker_flags.h"

int main(int argc, char** argv) {
  using mpli::worker::Progress;
  using mpli::worker::Work;
  // Outlives the worker (and its handlers): declared before worker_main runs them.
  std::shared_ptr<mpli::bus::Connection> transfer;
  return mpli::worker::worker_main(
      argc, argv, "disk-image", mpli::diskimage::extra_flags(),
      [&transfer](mpli::worker::Worker& worker, const mpli::worker::Flags& flags) -> mpli::Status {
        MPLI_ASSIGN_OR_RETURN(auto config, mpli::diskimage::config_from_flags(flags));
        MPLI_ASSIGN_OR_RETURN(
            auto connection,
            mpli::bus::Connection::connect(mpli::diskimage::transfer_connect_options(flags)));
        transfer = std::move(connection);
        auto store =
            std::make_shared<const mpli::diskimage::DiskImageStore>(std::move(config), transfer);
        worker.on("provision",
                  [store](const Work& w, Progress& p) { return store->provision(w, p); });
        worker.on("modify", [store](const Work& w, Progress& p) { return store->modify(w, p); });
        worker.on("deprovision",
                  [store](const Work& w, Progress& p) { return store->deprovision(w, p); });
        worker.on("freeze", [store](const Work& w, Progress& p) { return store->freeze(w, p); });
        worker.on("unfreeze",
                  [store](const Work& w, Progress& p) { return store->unfreeze(w, p); });
        worker.on("export",
                  [store](const Work& w, Progress& p) { return store->export_image(w, p); });
        worker.on("import",
                  [store](const Work& w, Progress& p) { return store->import_image(w, p); });
        worker.on("checksum",
                  [store](const Work& w, Progress& p) { return store->checksum(w, p); });
        return mpli::Status::ok();
      });
}
