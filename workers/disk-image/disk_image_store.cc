#include "workers/disk-image/disk_image_store.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "libs/bus/jetstream.h"
#include "libs/bus/ordered_subscription.h"
#include "libs/core/clock.h"
#include "libs/core/log.h"
#include "libs/process/child_process.h"

namespace mpli::diskimage {
namespace {

namespace fs = std::filesystem;
using worker::Outcome;

// Room for the headers in a message of at most max_payload bytes.
constexpr int64_t kHeaderRoom = 4096;
constexpr int kProgressEveryChunks = 32;

// Bad input and a frozen image cannot get better by trying again; everything else (a tool
// that failed, the bus, the disk) may.
Outcome failure(const Status& status) {
  bool permanent = status.code() == StatusCode::kInvalidArgument ||
                   status.code() == StatusCode::kFailedPrecondition ||
                   status.code() == StatusCode::kNotFound;
  return Outcome::failure(status.message(), !permanent);
}

// One streaming SHA-256; the EVP context is owned here alone.
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(context_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(context_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const char* data, size_t size) { EVP_DigestUpdate(context_, data, size); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_, digest, &size);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 0xf];
    }
    return out;
  }

 private:
  EVP_MD_CTX* context_;
};

Result<std::string> sha256_of_file(const std::string& path, int64_t* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return internal_error("cannot read " + path);
  Sha256 sha;
  std::vector<char> buffer(1 << 20);
  *bytes = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize got = in.gcount();
    if (got <= 0) break;
    sha.update(buffer.data(), static_cast<size_t>(got));
    *bytes += got;
  }
  if (in.bad()) return internal_error("cannot read " + path);
  return sha.hex();
}

std::chrono::milliseconds time_left(const worker::Work& work, std::chrono::milliseconds fallback) {
  if (work.deadline_unix_ms() <= 0) return fallback;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return std::max(std::chrono::milliseconds(1000),
                  std::chrono::milliseconds(work.deadline_unix_ms()) - now);
}

std::map<std::string, std::string> parameters_of(const worker::Work& work) {
  return {work.parameters().begin(), work.parameters().end()};
}

std::string parameter(const worker::Work& work, const std::string& key) {
  auto it = work.parameters().find(key);
  return it == work.parameters().end() ? std::string() : it->second;
}

Result<std::string> migration_id_of(const worker::Work& work) {
  std::string id =
      work.migration_id().empty() ? parameter(work, "migration_id") : work.migration_id();
  if (id.empty()) return invalid_field("migration_id", "required for export and import");
  MPLI_RETURN_IF_ERROR(check_migration_id(id));
  return id;
}

void remove_quietly(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

// Removes a temporary file when it goes out of scope (a failed or finished step leaves none).
struct TempFile {
  std::string path;
  ~TempFile() { remove_quietly(path); }
};

// What an order's files are called in the store.
struct OrderFiles {
  std::string image;
  std::string marker;
  std::string temp_prefix;  // "<store>/.<order_id>.": a step's temporary files
};

// Messages handed from nats.c's delivery thread to the importing thread.
struct TransferQueue {
  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<bus::StreamMessage> messages;
};

}  // namespace

DiskImageStore::DiskImageStore(StoreConfig config, std::shared_ptr<bus::Connection> transfer)
    : config_(std::move(config)), transfer_(std::move(transfer)) {}

namespace {

Result<OrderFiles> files_of(const StoreConfig& config, const worker::Work& work) {
  MPLI_ASSIGN_OR_RETURN(std::string name, image_file_name(work.order_id(), config.format));
  std::error_code ec;
  fs::create_directories(config.store_dir, ec);
  if (ec)
    return internal_error("cannot create the store " + config.store_dir + ": " + ec.message());
  return OrderFiles{config.store_dir + "/" + name,
                    config.store_dir + "/" + frozen_marker_name(work.order_id()),
                    config.store_dir + "/." + work.order_id() + "."};
}

Status frozen_refusal(const OrderFiles& files, const worker::Work& work) {
  if (!fs::exists(files.marker)) return Status::ok();
  return failed_precondition("the image of order " + work.order_id() +
                             " is frozen (a migration is exporting it): " + work.operation() +
                             " refused until it is unfrozen");
}

// qemu-img with arguments as a vector (no shell); its last output line on failure.
Result<std::string> qemu_img(const StoreConfig& config, const std::vector<std::string>& args,
                             std::chrono::milliseconds timeout) {
  process::Spec spec;
  spec.program = config.qemu_img;
  spec.args = args;
  spec.capture_output = true;
  auto done = process::run(spec, timeout);
  if (!done) return unavailable("cannot run " + config.qemu_img + ": " + done.status().message());
  if (done->exit_code != 0) {
    std::string output = done->output;
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    auto line = output.rfind('\n');
    std::string last = line == std::string::npos ? output : output.substr(line + 1);
    return unavailable("qemu-img " + args.front() + " failed (exit " +
                       std::to_string(done->exit_code) + "): " + last);
  }
  return done->output;
}

Result<int64_t> virtual_size(const StoreConfig& config, const std::string& path, ImageFormat format,
                             std::chrono::milliseconds timeout) {
  MPLI_ASSIGN_OR_RETURN(
      std::string out,
      qemu_img(config, {"info", "--output=json", "-f", format_name(format), path}, timeout));
  auto json = nlohmann::json::parse(out, nullptr, false);
  if (json.is_discarded() || !json.contains("virtual-size") ||
      !json["virtual-size"].is_number_integer()) {
    return internal_error("qemu-img info gave no virtual-size for " + path);
  }
  return json["virtual-size"].get<int64_t>();
}

Outcome image_outcome(const StoreConfig& config, const OrderFiles& files, int64_t size,
                      const std::string& message) {
  return Outcome::success({{"image_path", files.image},
                           {"format", format_name(config.format)},
                           {"virtual_size", std::to_string(size)}},
                          {}, message);
}

}  // namespace

Outcome DiskImageStore::provision(const worker::Work& work, worker::Progress& progress) const {
  auto files = files_of(config_, work);
  if (!files) return failure(files.status());
  auto size = image_size(parameters_of(work));
  if (!size) return failure(size.status());
  Status frozen = frozen_refusal(*files, work);
  if (!frozen.is_ok()) return failure(frozen);
  auto timeout = time_left(work, config_.default_timeout);
  if (fs::exists(files->image)) {
    // A repeat (or a redelivery after a crash past the rename): the image is complete.
    auto existing = virtual_size(config_, files->image, config_.format, timeout);
    if (!existing) return failure(existing.status());
    return image_outcome(config_, *files, *existing, "image exists");
  }
  progress.report(10, "creating the image");
  TempFile temp{files->temp_prefix + "create-" + work.work_id()};
  auto created = qemu_img(
      config_,
      {"create", "-q", "-f", format_name(config_.format), temp.path, std::to_string(*size)},
      timeout);
  if (!created) return failure(created.status());
  std::error_code ec;
  fs::rename(temp.path, files->image, ec);
  if (ec) return failure(internal_error("cannot move the new image in place: " + ec.message()));
  return image_outcome(config_, *files, *size, "image created");
}

Outcome DiskImageStore::modify(const worker::Work& work, worker::Progress& progress) const {
  auto files = files_of(config_, work);
  if (!files) return failure(files.status());
  auto size = image_size(parameters_of(work));
  if (!size) return failure(size.status());
  Status frozen = frozen_refusal(*files, work);
  if (!frozen.is_ok()) return failure(frozen);
  if (!fs::exists(files->image)) {
    return failure(not_found("order " + work.order_id() + " has no image to modify"));
  }
  auto timeout = time_left(work, config_.default_timeout);
  auto current = virtual_size(config_, files->image, config_.format, timeout);
  if (!current) return failure(current.status());
  if (*size < *current) {
    return failure(invalid_field("size", "cannot shrink the image from " +
                                             std::to_string(*current) + " to " +
                                             std::to_string(*size) + " bytes: data would be lost"));
  }
  if (*size == *current) return image_outcome(config_, *files, *current, "size unchanged");
  progress.report(10, "growing the image");
  auto resized = qemu_img(
      config_,
      {"resize", "-q", "-f", format_name(config_.format), files->image, std::to_string(*size)},
      timeout);
  if (!resized) return failure(resized.status());
  return image_outcome(config_, *files, *size, "image grown");
}

Outcome DiskImageStore::deprovision(const worker::Work& work, worker::Progress&) const {
  auto files = files_of(config_, work);
  if (!files) return failure(files.status());
  // Allowed on a frozen image: a migrated source is deprovisioned frozen.
  bool existed = fs::exists(files->image);
  std::error_code ec;
  fs::remove(files->image, ec);
  if (ec) return failure(internal_error("cannot remove " + files->image + ": " + ec.message()));
  remove_quietly(files->marker);
  const std::string prefix = fs::path(files->temp_prefix).filename().string();
  for (const auto& entry : fs::directory_iterator(config_.store_dir, ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) remove_quietly(entry.path());
  }
  return Outcome::success({}, {}, existed ? "image removed" : "no image: nothing to remove");
}

Outcome DiskImageStore::freeze(const worker::Work& work, worker::Progress&) const {
  auto files = files_of(config_, work);
  if (!files) return failure(files.status());
  if (!fs::exists(files->image)) {
    return failure(not_found("order " + work.order_id() + " has no image to freeze"));
  }
  {
    std::ifstream in(files->marker);
    std::string frozen_at;
    if (in && std::getline(in, frozen_at) && !frozen_at.empty()) {
      return Outcome::success({{"frozen_at", frozen_at}}, {}, "already frozen");
    }
  }
  const std::string frozen_at = clock::now_rfc3339();
  TempFile temp{files->temp_prefix + "freeze-" + work.work_id()};
  {
    std::ofstream out(temp.path, std::ios::trunc);
    out << frozen_at << "\n";
    out.flush();
    if (!out) return failure(internal_error("cannot write " + temp.path));
  }
  std::error_code ec;
  fs::rename(temp.path, files->marker, ec);
  if (ec) return failure(internal_error("cannot write " + files->marker + ": " + ec.message()));
  return Outcome::success({{"frozen_at", frozen_at}}, {}, "frozen");
}

Outcome DiskImageStore::unfreeze(const worker::Work& work, worker::Progress&) const {
  auto files = files_of(config_, work);
  if (!files) return failure(files.status());
  bool was_frozen = fs::exists(files->marker);
  std::error_code ec;
  fs::remove(files->marker, ec);
  if (ec) return failure(internal_error("cannot remove " + files->marker + ": " + ec.message()));
  return Outcome::success({}, {}, was_frozen ? "unfrozen" : "was not frozen");
}

Outcome DiskImageStore::export_image(const worker::Work& work, worker::Progress& progress) const {
  auto files = files_of(config_, work);
  if (!files) return failure(files.status());
  auto migration_id = migration_id_of(work);
  if (!migration_id) return failure(migration_id.status());
  if (!fs::exists(files->image)) {
    return failure(not_found("order " + work.order_id() + " has no image to export"));
  }
  if (!transfer_ || !transfer_->wait_connected(std::chrono::seconds(10)).is_ok()) {
    return Outcome::failure("no connection to NATS for the transfer", true);
  }
  int64_t max_payload = transfer_->max_payload();
  auto chunk = chunk_bytes(parameters_of(work), std::max<int64_t>(1, max_payload - kHeaderRoom));
  if (!chunk) return failure(chunk.status());

  std::ifstream in(files->image, std::ios::binary);
  if (!in) return failure(internal_error("cannot read " + files->image));
  const int64_t total = static_cast<int64_t>(fs::file_size(files->image));
  Sha256 sha;
  std::vector<char> buffer(static_cast<size_t>(*chunk));
  TransferSummary summary;
  summary.format = format_name(config_.format);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize got = in.gcount();
    if (got <= 0) break;
    if (progress.should_stop()) return Outcome::failure("stopped while exporting", true);
    sha.update(buffer.data(), static_cast<size_t>(got));
    // The same index always gets the same Nats-Msg-Id: a repeated export adds nothing.
    auto published = bus::publish_durable(*transfer_, chunk_subject(*migration_id),
                                          std::string(buffer.data(), static_cast<size_t>(got)),
                                          chunk_msg_id(*migration_id, summary.chunks),
                                          {{kChunkIndexHeader, std::to_string(summary.chunks)}});
    if (!published) {
      return Outcome::failure("cannot publish chunk " + std::to_string(summary.chunks) + " to " +
                                  kTransferStream + ": " + published.status().message(),
                              true);
    }
    summary.bytes += got;
    ++summary.chunks;
    if (summary.chunks % kProgressEveryChunks == 0 && total > 0) {
      progress.report(static_cast<int>(summary.bytes * 100 / total),
                      "exported " + std::to_string(summary.bytes) + " bytes");
    }
  }
  if (in.bad()) return failure(internal_error("cannot read " + files->image));
  summary.sha256 = sha.hex();
  auto ended =
      bus::publish_durable(*transfer_, end_subject(*migration_id), encode_summary(summary),
                           end_msg_id(*migration_id), {{"Content-Type", "application/json"}});
  if (!ended) {
    return Outcome::failure("cannot publish the transfer's end: " + ended.status().message(), true);
  }
  return Outcome::success({{"bytes", std::to_string(summary.bytes)},
                           {"chunks", std::to_string(summary.chunks)},
                           {"sha256", summary.sha256},
                           {"format", summary.format}},
                          {}, "exported " + std::to_string(summary.chunks) + " chunks");
}

Outcome DiskImageStore::import_image(const worker::Work& work, worker::Progress& progress) const {
  auto files = files_of(config_, work);
  if (!files) return failure(files.status());
  auto migration_id = migration_id_of(work);
  if (!migration_id) return failure(migration_id.status());
  std::optional<ImageFormat> source_format;
  if (!parameter(work, "source_format").empty()) {
    auto parsed = parse_format("source_format", parameter(work, "source_format"));
    if (!parsed) return failure(parsed.status());
    source_format = *parsed;
  }
  for (const std::string key : {"bytes", "chunks"}) {
    if (!parameter(work, key).empty() && !parse_count(parameter(work, key))) {
      return failure(
          invalid_field(key, "must be a whole number, not '" + parameter(work, key) + "'"));
    }
  }
  Status frozen = frozen_refusal(*files, work);
  if (!frozen.is_ok()) return failure(frozen);
  if (!transfer_ || !transfer_->wait_connected(std::chrono::seconds(10)).is_ok()) {
    return Outcome::failure("no connection to NATS for the transfer", true);
  }

  auto queue = std::make_shared<TransferQueue>();
  bus::OrderedSubscriptionSpec spec;
  spec.stream = kTransferStream;
  spec.filter_subject = transfer_filter(*migration_id);
  spec.start_sequence = 1;  // the whole transfer, in stream order
  auto subscription =
      bus::OrderedSubscription::start(*transfer_, spec, [queue](const bus::StreamMessage& m) {
        std::lock_guard<std::mutex> lock(queue->mutex);
        queue->messages.push_back(m);
        queue->arrived.notify_one();
      });
  if (!subscription) {
    return Outcome::failure(
        "cannot read " + std::string(kTransferStream) + ": " + subscription.status().message(),
        true);
  }

  const std::string source_name = source_format ? format_name(*source_format) : "data";
  TempFile received{files->temp_prefix + "import-" + work.work_id() + "." + source_name};
  std::ofstream out(received.path, std::ios::binary | std::ios::trunc);
  if (!out) return failure(internal_error("cannot write " + received.path));
  Sha256 sha;
  TransferSummary got;
  std::optional<TransferSummary> announced;
  const auto deadline = std::chrono::steady_clock::now() + time_left(work, config_.default_timeout);
  auto idle_since = std::chrono::steady_clock::now();
  const int64_t expected_bytes = parse_count(parameter(work, "bytes")).value_or(0);
  while (!announced) {
    std::optional<bus::StreamMessage> next;
    {
      std::unique_lock<std::mutex> lock(queue->mutex);
      queue->arrived.wait_for(lock, std::chrono::milliseconds(200),
                              [&] { return !queue->messages.empty(); });
      if (!queue->messages.empty()) {
        next = std::move(queue->messages.front());
        queue->messages.pop_front();
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (progress.should_stop() || now > deadline) {
      return Outcome::failure("stopped while importing", true);
    }
    if (!next) {
      if (now - idle_since > config_.transfer_idle_timeout) {
        return Outcome::failure("the transfer of migration " + *migration_id + " stopped after " +
                                    std::to_string(got.chunks) +
                                    " chunks without its end message (is the export done?)",
                                true);
      }
      continue;
    }
    idle_since = now;
    const bus::Message& message = next->message;
    if (message.subject == end_subject(*migration_id)) {
      auto summary = decode_summary(message.data);
      if (!summary) return failure(summary.status());
      announced = *summary;
      break;
    }
    auto index = parse_count(message.header(kChunkIndexHeader));
    if (!index) {
      return failure(
          failed_precondition("a chunk of migration " + *migration_id + " has no chunk index"));
    }
    if (*index < got.chunks) continue;  // an export repeated after the duplicate window
    if (*index > got.chunks) {
      return failure(failed_precondition("chunk " + std::to_string(got.chunks) + " of migration " +
                                         *migration_id + " is missing (the next one is chunk " +
                                         std::to_string(*index) + ")"));
    }
    out.write(message.data.data(), static_cast<std::streamsize>(message.data.size()));
    if (!out) return failure(internal_error("cannot write " + received.path));
    sha.update(message.data.data(), message.data.size());
    got.bytes += static_cast<int64_t>(message.data.size());
    ++got.chunks;
    if (got.chunks % kProgressEveryChunks == 0 && expected_bytes > 0) {
      progress.report(static_cast<int>(std::min<int64_t>(90, got.bytes * 90 / expected_bytes)),
                      "received " + std::to_string(got.bytes) + " bytes");
    }
  }
  subscription->reset();
  out.close();
  if (!out) return failure(internal_error("cannot write " + received.path));
  got.sha256 = sha.hex();
  got.format = announced->format;
  Status checked = check_transfer(parameters_of(work), *announced, got);
  if (!checked.is_ok()) {
    return failure(failed_precondition("import of migration " + *migration_id +
                                       " refused: " + checked.message()));
  }
  auto sent_format = parse_format("format (end message)", announced->format);
  if (!sent_format) return failure(sent_format.status());
  if (source_format && *source_format != *sent_format) {
    return failure(failed_precondition("parameter source_format is " + format_name(*source_format) +
                                       " but the transfer holds " + announced->format));
  }

  progress.report(92, "converting " + announced->format + " to " + format_name(config_.format));
  TempFile converted{files->temp_prefix + "convert-" + work.work_id() + "." +
                     format_name(config_.format)};
  auto done = qemu_img(config_,
                       {"convert", "-q", "-f", announced->format, "-O", format_name(config_.format),
                        received.path, converted.path},
                       time_left(work, config_.default_timeout));
  if (!done) return failure(done.status());
  std::error_code ec;
  // Atomic: the provisioned (empty) image is replaced whole or not at all.
  fs::rename(converted.path, files->image, ec);
  if (ec)
    return failure(internal_error("cannot move the imported image in place: " + ec.message()));
  return Outcome::success(
      {{"bytes", std::to_string(got.bytes)}, {"format", format_name(config_.format)}}, {},
      "imported " + std::to_string(got.chunks) + " chunks");
}

Outcome DiskImageStore::checksum(const worker::Work& work, worker::Progress& progress) const {
  auto files = files_of(config_, work);
  if (!files) return failure(files.status());
  if (!fs::exists(files->image)) {
    return failure(not_found("order " + work.order_id() + " has no image to checksum"));
  }
  auto timeout = time_left(work, config_.default_timeout);
  auto size = virtual_size(config_, files->image, config_.format, timeout);
  if (!size) return failure(size.status());
  progress.report(10, "reading the raw content");
  // The raw content is what two formats of one disk share; the file's own bytes are not.
  TempFile raw{files->temp_prefix + "checksum-" + work.work_id() + ".raw"};
  auto converted = qemu_img(
      config_,
      {"convert", "-q", "-f", format_name(config_.format), "-O", "raw", files->image, raw.path},
      timeout);
  if (!converted) return failure(converted.status());
  int64_t bytes = 0;
  auto digest = sha256_of_file(raw.path, &bytes);
  if (!digest) return failure(digest.status());
  nlohmann::json verification =
      nlohmann::json::array({{{"name", "disk"}, {"rows", *size}, {"checksum", *digest}}});
  return Outcome::success({{"verification", verification.dump()}}, {},
                          "sha256 of " + std::to_string(bytes) + " raw bytes");
}

}  // namespace mpli::diskimage
