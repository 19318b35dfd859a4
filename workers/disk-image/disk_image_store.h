// The disk-image worker's operations on the provider's image store, a directory of one image
// per order ("<order_id>.<ext>" in the store's own format), driven with qemu-img: provision and
// deprovision (idempotent), freeze and unfreeze (a marker file; a frozen image is never
// changed), export (the image's bytes as chunks on JetStream, mpli.transfer.v1.<migration>.*),
// import (those chunks, checked, converted into the store's format) and checksum (sha256 of the
// raw content). Bad parameters fail not retryable; a missing tool or bus retryable.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "libs/bus/connection.h"
#include "libs/worker/worker.h"
#include "workers/disk-image/domain/image_plan.h"

namespace mpli::diskimage {

struct StoreConfig {
  std::string store_dir;  // the provider's image store; created when missing
  ImageFormat format = ImageFormat::kQcow2;
  std::string qemu_img = "qemu-img";  // looked up on PATH
  // For qemu-img and for waiting on transfer messages when the item has no deadline.
  std::chrono::milliseconds default_timeout{std::chrono::hours(1)};
  // How long an import waits for the next transfer message before it gives up (retryable).
  std::chrono::milliseconds transfer_idle_timeout{std::chrono::seconds(30)};
};

class DiskImageStore {
 public:
  // `transfer`: a connection that may publish and read mpli.transfer.v1.> (only export and
  // import use it; nullptr makes them fail retryable).
  DiskImageStore(StoreConfig config, std::shared_ptr<bus::Connection> transfer);

  // Outputs image_path, format, virtual_size (bytes).
  worker::Outcome provision(const worker::Work& work, worker::Progress& progress) const;
  // Grows the image to the parameters' size (shrinking is refused: it loses data).
  worker::Outcome modify(const worker::Work& work, worker::Progress& progress) const;
  // Removes image and marker; already gone is success.
  worker::Outcome deprovision(const worker::Work& work, worker::Progress& progress) const;
  // Outputs frozen_at (RFC 3339, ms): the first freeze's time on a repeat.
  worker::Outcome freeze(const worker::Work& work, worker::Progress& progress) const;
  worker::Outcome unfreeze(const worker::Work& work, worker::Progress& progress) const;
  // Outputs bytes, chunks, sha256, format.
  worker::Outcome export_image(const worker::Work& work, worker::Progress& progress) const;
  // Outputs bytes (as received), format (the store's).
  worker::Outcome import_image(const worker::Work& work, worker::Progress& progress) const;
  // Outputs verification: [{"name":"disk","rows":<virtual size>,"checksum":<sha256 of raw>}].
  worker::Outcome checksum(const worker::Work& work, worker::Progress& progress) const;

 private:
  StoreConfig config_;
  std::shared_ptr<bus::Connection> transfer_;
};

}  // namespace mpli::diskimage
