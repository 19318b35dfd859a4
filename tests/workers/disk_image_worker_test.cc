// The disk-image worker's operations against a real nats-server (JetStream, the worker's own NATS
// user with only its permissions) and real qemu-img: provision and deprovision are idempotent, a
// qcow2 image with a known pattern moves to a raw store and on to a vmdk store with its raw
// content's checksum unchanged, a repeated export adds no chunk, a missing or corrupted chunk
// fails the import, and a frozen image is never changed.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/core/digest.h"
#include "libs/process/child_process.h"
#include "libs/process/local_servers.h"
#include "libs/process/nats_authorization.h"
#include "libs/process/secrets.h"
#include "libs/testing/environment.h"
#include "tests/workers/work_fixture.h"
#include "workers/disk-image/disk_image_store.h"

namespace mpli::diskimage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class RecordingProgress : public worker::Progress {
 public:
  void report(int percent, const std::string& message) override {
    reports.push_back(std::to_string(percent) + " " + message);
  }
  bool should_stop() const override { return false; }
  std::vector<std::string> reports;
};

worker::Work make_work(const std::string& order_id, const std::string& operation,
                       const std::map<std::string, std::string>& parameters = {},
                       const std::string& migration_id = "") {
  static int counter = 0;
  worker::Work work;
  work.set_work_id("wrk_disk" + std::to_string(++counter));
  work.set_attempt(1);
  work.set_order_id(order_id);
  work.set_provider_id("hexa");
  work.set_operation(operation);
  work.set_worker_kind("disk-image");
  work.set_migration_id(migration_id);
  for (const auto& [key, value] : parameters) (*work.mutable_parameters())[key] = value;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  work.set_deadline_unix_ms(now.count() + 120000);
  return work;
}

std::string value_of(const worker::StringMap& map, const std::string& key) {
  auto it = map.find(key);
  REQUIRE(it != map.end());
  return it->second;
}

const std::vector<std::string> kProviders = {"hexa", "nord", "polder"};

// A nats-server that lets in an operator (anything) and one worker user per provider with the
// worker's permissions plus the transfer's; MPLI_TRANSFER created as portability would.
struct Fixture {
  testing::TempDir dir;
  std::optional<process::NatsServer> nats;
  std::unique_ptr<bus::Connection> operator_connection;
  std::map<std::string, std::shared_ptr<bus::Connection>> worker_connections;
  RecordingProgress progress;

  Fixture() {
    process::NatsServerOptions options;
    options.state_dir = dir.path() + "/nats";
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    options.port = *port;
    process::NatsPermissions unrestricted;
    unrestricted.unrestricted = true;
    options.users.push_back({"operator", *process::bcrypt_hash("operator-pw"), unrestricted});
    for (const auto& provider : kProviders) {
      process::NatsPermissions permissions = process::worker_permissions(provider);
      process::add_transfer_permissions(permissions);
      options.users.push_back({process::worker_user_name(provider),
                               *process::bcrypt_hash(provider + "-pw"), permissions});
    }
    auto started = process::NatsServer::start(options, 20s);
    INFO(started.status().to_string());
    REQUIRE(started.is_ok());
    nats.emplace(std::move(started).value());
    bus::ConnectOptions admin;
    admin.url = nats->url();
    admin.user = "operator";
    admin.password = "operator-pw";
    auto connected = bus::Connection::connect(admin);
    REQUIRE(connected.is_ok());
    operator_connection = std::move(connected).value();
    REQUIRE(operator_connection->wait_connected(10s).is_ok());
    bus::StreamSpec transfer;
    transfer.name = kTransferStream;
    transfer.subjects = {"mpli.transfer.v1.>"};
    REQUIRE(bus::ensure_stream(*operator_connection, transfer).is_ok());
    for (const auto& provider : kProviders) {
      bus::ConnectOptions login;
      login.url = nats->url();
      login.user = process::worker_user_name(provider);
      login.password = provider + "-pw";
      login.inbox_prefix = process::worker_inbox_prefix(provider);
      auto worker_connection = bus::Connection::connect(login);
      REQUIRE(worker_connection.is_ok());
      REQUIRE((*worker_connection)->wait_connected(10s).is_ok());
      worker_connections[provider] = std::move(worker_connection).value();
    }
  }

  DiskImageStore store(const std::string& provider, ImageFormat format) {
    StoreConfig config;
    config.store_dir = dir.path() + "/" + provider + "/images";
    config.format = format;
    config.transfer_idle_timeout = 10s;
    return DiskImageStore(config, worker_connections.at(provider));
  }
  std::string image(const std::string& provider, const std::string& order, ImageFormat format) {
    return dir.path() + "/" + provider + "/images/" + order + "." + format_name(format);
  }
  uint64_t transfer_messages() {
    auto state = bus::stream_state(*operator_connection, kTransferStream);
    REQUIRE(state.is_ok());
    return state->messages;
  }
  bool permission_violations() {
    std::ifstream in(dir.path() + "/nats/nats.log");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find("Permissions Violation") != std::string::npos;
  }
};

// Writes 1 MiB of 0x5a at offset 0 with qemu-io (qemu-utils), as a guest would.
void write_pattern(const std::string& path, ImageFormat format) {
  process::Spec spec;
  spec.program = "qemu-io";
  spec.args = {"-f", format_name(format), "-c", "write -P 0x5a 0 1M", path};
  spec.capture_output = true;
  auto done = process::run(spec, 60s);
  REQUIRE(done.is_ok());
  INFO(done->output);
  REQUIRE(done->exit_code == 0);
}

struct Verification {
  int64_t rows = 0;
  std::string checksum;
};

Verification checksum_of(DiskImageStore& store, const std::string& order,
                         worker::Progress& progress) {
  auto outcome = store.checksum(make_work(order, "checksum"), progress);
  INFO(outcome.message);
  REQUIRE(outcome.succeeded);
  auto json = nlohmann::json::parse(value_of(outcome.outputs, "verification"));
  REQUIRE(json.is_array());
  REQUIRE(json.size() == 1);
  CHECK(json[0]["name"] == "disk");
  return {json[0]["rows"].get<int64_t>(), json[0]["checksum"].get<std::string>()};
}

TEST_CASE("disk image: provision and deprovision are idempotent") {
  Fixture f;
  DiskImageStore store = f.store("hexa", ImageFormat::kQcow2);
  const std::string path = f.image("hexa", "ord_0190-a1", ImageFormat::kQcow2);
  auto first = store.provision(make_work("ord_0190-a1", "provision", {{"size", "8M"}}), f.progress);
  INFO(first.message);
  REQUIRE(first.succeeded);
  CHECK(value_of(first.outputs, "image_path") == path);
  CHECK(value_of(first.outputs, "format") == "qcow2");
  CHECK(value_of(first.outputs, "virtual_size") == std::to_string(8 * 1024 * 1024));
  CHECK(fs::exists(path));
  auto again = store.provision(make_work("ord_0190-a1", "provision", {{"size", "8M"}}), f.progress);
  REQUIRE(again.succeeded);
  CHECK(again.outputs == first.outputs);
  CHECK(checksum_of(store, "ord_0190-a1", f.progress).rows == 8 * 1024 * 1024);

  auto bad =
      store.provision(make_work("ord_0190-a2", "provision", {{"disk_gb", "lots"}}), f.progress);
  CHECK_FALSE(bad.succeeded);
  CHECK_FALSE(bad.retryable);
  CHECK(bad.message.find("disk_gb") != std::string::npos);
  CHECK_FALSE(fs::exists(f.image("hexa", "ord_0190-a2", ImageFormat::kQcow2)));
  auto escaping = store.provision(make_work("../x", "provision"), f.progress);
  CHECK_FALSE(escaping.succeeded);
  CHECK_FALSE(escaping.retryable);

  for (int i = 0; i < 2; ++i) {
    auto gone = store.deprovision(make_work("ord_0190-a1", "deprovision"), f.progress);
    INFO(gone.message);
    CHECK(gone.succeeded);
    CHECK_FALSE(fs::exists(path));
  }
  // Only the orders' images: no temporary file is left behind.
  CHECK(fs::is_empty(f.dir.path() + "/hexa/images"));
}

TEST_CASE("disk image: qcow2 to raw to vmdk keeps the raw content's checksum") {
  Fixture f;
  DiskImageStore hexa = f.store("hexa", ImageFormat::kQcow2);
  DiskImageStore nord = f.store("nord", ImageFormat::kRaw);
  DiskImageStore polder = f.store("polder", ImageFormat::kVmdk);
  const std::map<std::string, std::string> size = {{"size", "4M"}};
  REQUIRE(hexa.provision(make_work("ord_src", "provision", size), f.progress).succeeded);
  write_pattern(f.image("hexa", "ord_src", ImageFormat::kQcow2), ImageFormat::kQcow2);
  Verification source = checksum_of(hexa, "ord_src", f.progress);
  CHECK(source.rows == 4 * 1024 * 1024);

  // An empty 4M image has another checksum: the pattern is what the checksum sees.
  REQUIRE(nord.provision(make_work("ord_src", "provision", size), f.progress).succeeded);
  CHECK(checksum_of(nord, "ord_src", f.progress).checksum != source.checksum);

  auto frozen = hexa.freeze(make_work("ord_src", "freeze"), f.progress);
  REQUIRE(frozen.succeeded);
  auto exported = hexa.export_image(
      make_work("ord_src", "export", {{"chunk_bytes", "65536"}}, "mig_one"), f.progress);
  INFO(exported.message);
  REQUIRE(exported.succeeded);
  CHECK(value_of(exported.outputs, "format") == "qcow2");
  const auto file_bytes = fs::file_size(f.image("hexa", "ord_src", ImageFormat::kQcow2));
  CHECK(value_of(exported.outputs, "bytes") == std::to_string(file_bytes));
  const int64_t chunks = std::stoll(value_of(exported.outputs, "chunks"));
  CHECK(chunks == static_cast<int64_t>((file_bytes + 65535) / 65536));
  CHECK(f.transfer_messages() == static_cast<uint64_t>(chunks + 1));

  auto imported = nord.import_image(make_work("ord_src", "import",
                                              {{"source_format", "qcow2"},
                                               {"bytes", value_of(exported.outputs, "bytes")},
                                               {"chunks", value_of(exported.outputs, "chunks")},
                                               {"sha256", value_of(exported.outputs, "sha256")}},
                                              "mig_one"),
                                    f.progress);
  INFO(imported.message);
  REQUIRE(imported.succeeded);
  CHECK(value_of(imported.outputs, "format") == "raw");
  CHECK(value_of(imported.outputs, "bytes") == value_of(exported.outputs, "bytes"));
  Verification on_nord = checksum_of(nord, "ord_src", f.progress);
  CHECK(on_nord.checksum == source.checksum);
  CHECK(on_nord.rows == source.rows);

  // raw -> vmdk
  REQUIRE(polder.provision(make_work("ord_src", "provision", size), f.progress).succeeded);
  auto exported_raw = nord.export_image(make_work("ord_src", "export", {}, "mig_two"), f.progress);
  INFO(exported_raw.message);
  REQUIRE(exported_raw.succeeded);
  CHECK(value_of(exported_raw.outputs, "format") == "raw");
  auto into_vmdk = polder.import_image(
      make_work("ord_src", "import", {{"source_format", "raw"}}, "mig_two"), f.progress);
  INFO(into_vmdk.message);
  REQUIRE(into_vmdk.succeeded);
  Verification on_polder = checksum_of(polder, "ord_src", f.progress);
  CHECK(on_polder.checksum == source.checksum);
  CHECK(on_polder.rows == source.rows);
  CHECK_FALSE(f.permission_violations());
}

TEST_CASE("disk image: a repeated export duplicates no chunk") {
  Fixture f;
  DiskImageStore hexa = f.store("hexa", ImageFormat::kQcow2);
  REQUIRE(
      hexa.provision(make_work("ord_rep", "provision", {{"size", "2M"}}), f.progress).succeeded);
  write_pattern(f.image("hexa", "ord_rep", ImageFormat::kQcow2), ImageFormat::kQcow2);
  const std::map<std::string, std::string> small = {{"chunk_bytes", "32768"}};
  auto first = hexa.export_image(make_work("ord_rep", "export", small, "mig_rep"), f.progress);
  INFO(first.message);
  REQUIRE(first.succeeded);
  const uint64_t stored = f.transfer_messages();
  CHECK(stored == std::stoull(value_of(first.outputs, "chunks")) + 1);
  auto second = hexa.export_image(make_work("ord_rep", "export", small, "mig_rep"), f.progress);
  REQUIRE(second.succeeded);
  CHECK(second.outputs == first.outputs);
  CHECK(f.transfer_messages() == stored);
}

// Chunks published as an export would, but with what the test chooses.
void publish_transfer(bus::Connection& connection, const std::string& migration_id,
                      const std::map<int64_t, std::string>& chunks,
                      const TransferSummary& summary) {
  for (const auto& [index, data] : chunks) {
    REQUIRE(bus::publish_durable(connection, chunk_subject(migration_id), data,
                                 chunk_msg_id(migration_id, index),
                                 {{kChunkIndexHeader, std::to_string(index)}})
                .is_ok());
  }
  REQUIRE(bus::publish_durable(connection, end_subject(migration_id), encode_summary(summary),
                               end_msg_id(migration_id))
              .is_ok());
}

TEST_CASE("disk image: a missing or corrupted chunk fails the import and keeps the image") {
  Fixture f;
  DiskImageStore nord = f.store("nord", ImageFormat::kRaw);
  REQUIRE(
      nord.provision(make_work("ord_dst", "provision", {{"size", "1M"}}), f.progress).succeeded);
  const Verification before = checksum_of(nord, "ord_dst", f.progress);
  const std::string chunk(4096, 'x');
  const TransferSummary summary{3, 3 * 4096, digest::sha256_hex(chunk + chunk + chunk), "raw"};

  publish_transfer(*f.operator_connection, "mig_gap", {{0, chunk}, {2, chunk}}, summary);
  auto gap = nord.import_image(
      make_work("ord_dst", "import", {{"source_format", "raw"}}, "mig_gap"), f.progress);
  CHECK_FALSE(gap.succeeded);
  CHECK_FALSE(gap.retryable);
  CHECK(gap.message.find("chunk 1 of migration mig_gap is missing") != std::string::npos);

  std::string bad = chunk;
  bad[100] = 'y';
  publish_transfer(*f.operator_connection, "mig_bad", {{0, chunk}, {1, bad}, {2, chunk}}, summary);
  auto corrupted = nord.import_image(
      make_work("ord_dst", "import", {{"source_format", "raw"}}, "mig_bad"), f.progress);
  CHECK_FALSE(corrupted.succeeded);
  CHECK_FALSE(corrupted.retryable);
  CHECK(corrupted.message.find("corrupted") != std::string::npos);

  // The same bytes, correct: accepted (so the refusals above were the chunks' fault).
  publish_transfer(*f.operator_connection, "mig_good", {{0, chunk}, {1, chunk}, {2, chunk}},
                   summary);
  auto wrong_sha = nord.import_image(
      make_work("ord_dst", "import", {{"sha256", std::string(64, '0')}}, "mig_good"), f.progress);
  CHECK_FALSE(wrong_sha.succeeded);
  CHECK(wrong_sha.message.find("sha256") != std::string::npos);

  Verification after = checksum_of(nord, "ord_dst", f.progress);
  CHECK(after.checksum == before.checksum);
  CHECK(after.rows == before.rows);
  auto good = nord.import_image(
      make_work("ord_dst", "import", {{"source_format", "raw"}, {"chunks", "3"}}, "mig_good"),
      f.progress);
  INFO(good.message);
  CHECK(good.succeeded);
  CHECK(checksum_of(nord, "ord_dst", f.progress).rows == 3 * 4096);
  // Failed imports leave no temporary file in the store.
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(f.dir.path() + "/nord/images")) {
    left.push_back(entry.path().filename().string());
  }
  CHECK(left == std::vector<std::string>{"ord_dst.raw"});
}

TEST_CASE("disk image: a frozen image refuses provision, modify and import") {
  Fixture f;
  DiskImageStore hexa = f.store("hexa", ImageFormat::kQcow2);
  REQUIRE(
      hexa.provision(make_work("ord_ice", "provision", {{"size", "2M"}}), f.progress).succeeded);
  auto frozen = hexa.freeze(make_work("ord_ice", "freeze"), f.progress);
  REQUIRE(frozen.succeeded);
  const std::string frozen_at = value_of(frozen.outputs, "frozen_at");
  CHECK(frozen_at.size() == std::string("2026-11-23T19:24:17.123Z").size());
  auto again = hexa.freeze(make_work("ord_ice", "freeze"), f.progress);
  REQUIRE(again.succeeded);
  CHECK(value_of(again.outputs, "frozen_at") == frozen_at);

  for (const auto& refused :
       {hexa.provision(make_work("ord_ice", "provision", {{"size", "2M"}}), f.progress),
        hexa.modify(make_work("ord_ice", "modify", {{"size", "4M"}}), f.progress),
        hexa.import_image(make_work("ord_ice", "import", {}, "mig_ice"), f.progress)}) {
    INFO(refused.message);
    CHECK_FALSE(refused.succeeded);
    CHECK_FALSE(refused.retryable);
    CHECK(refused.message.find("frozen") != std::string::npos);
  }
  CHECK(checksum_of(hexa, "ord_ice", f.progress).rows == 2 * 1024 * 1024);

  REQUIRE(hexa.unfreeze(make_work("ord_ice", "unfreeze"), f.progress).succeeded);
  CHECK(hexa.unfreeze(make_work("ord_ice", "unfreeze"), f.progress).succeeded);
  auto grown = hexa.modify(make_work("ord_ice", "modify", {{"size", "4M"}}), f.progress);
  INFO(grown.message);
  CHECK(grown.succeeded);
  CHECK(checksum_of(hexa, "ord_ice", f.progress).rows == 4 * 1024 * 1024);
  auto shrink = hexa.modify(make_work("ord_ice", "modify", {{"size", "2M"}}), f.progress);
  CHECK_FALSE(shrink.succeeded);
  CHECK_FALSE(shrink.retryable);

  // A migrated source is deprovisioned while frozen.
  REQUIRE(hexa.freeze(make_work("ord_ice", "freeze"), f.progress).succeeded);
  CHECK(hexa.deprovision(make_work("ord_ice", "deprovision"), f.progress).succeeded);
  CHECK(fs::is_empty(f.dir.path() + "/hexa/images"));
}

TEST_CASE("disk image: the binary takes its items from NATS as the provider's worker user") {
  Fixture f;
  testing::FakeDelivery delivery(f.nats->url(), "nord", 30s, "operator", "operator-pw");
  testing::write_script(f.dir.path() + "/password", "nord-pw\n");
  ::chmod((f.dir.path() + "/password").c_str(), 0600);
  const std::string store = f.dir.path() + "/nord-binary/images";
  auto worker =
      testing::start_worker(testing::bin_dir() + "/mpli-worker-disk-image",
                            {"--provider", "nord", "--nats-url", f.nats->url(), "--nats-user",
                             "worker-nord", "--nats-password-file", f.dir.path() + "/password",
                             "--store-dir", store, "--image-format", "raw"},
                            {}, f.dir.path() + "/disk-image-worker.log");

  auto tiny = delivery.item("wrk_tiny", "provision");  // the fixture's size "10": 10 bytes
  tiny.set_worker_kind("disk-image");
  delivery.publish(tiny);
  auto refused = delivery.outcome("wrk_tiny", 1);
  CHECK(refused.kind() == "failed");
  CHECK_FALSE(refused.retryable());
  CHECK(refused.message().find("size") != std::string::npos);

  auto item = delivery.item("wrk_disk", "provision");
  item.set_worker_kind("disk-image");
  (*item.mutable_parameters())["size"] = "2M";
  delivery.publish(item);
  auto outcome = delivery.outcome("wrk_disk", 1);
  INFO(outcome.message());
  REQUIRE(outcome.kind() == "succeeded");
  CHECK(outcome.outputs().at("image_path") == store + "/ord_wrk_disk.raw");
  CHECK(outcome.outputs().at("virtual_size") == std::to_string(2 * 1024 * 1024));
  CHECK(fs::file_size(store + "/ord_wrk_disk.raw") == 2 * 1024 * 1024);
  worker.stop(SIGTERM, 10s);
  CHECK_FALSE(f.permission_violations());
  CHECK(testing::read_file(f.dir.path() + "/disk-image-worker.log").find("nord-pw") ==
        std::string::npos);
}

}  // namespace
}  // namespace mpli::diskimage
