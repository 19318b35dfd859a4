#include "tools/mpli/demo_workers.h"

#include <fstream>
#include <sstream>

#include "libs/process/nats_authorization.h"
#include "libs/rdf/parser.h"
#include "services/discovery/domain/manifest_reader.h"

namespace mpli::cli {

Result<DemoProvider> read_demo_provider(const std::string& manifest) {
  std::ifstream in(manifest, std::ios::binary);
  if (!in) return not_found("cannot read " + manifest);
  std::ostringstream text;
  text << in.rdbuf();
  rdf::Graph graph;
  MPLI_RETURN_IF_ERROR(rdf::parse_string(text.str(), manifest, graph, {}));
  MPLI_ASSIGN_OR_RETURN(auto summary, discovery::read_manifest(graph));
  Status valid = process::validate_provider_id(summary.provider_id);
  if (!valid.is_ok()) return invalid_argument(manifest + ": " + valid.message());

  DemoProvider provider;
  provider.manifest = manifest;
  provider.provider_id = summary.provider_id;
  const std::string mpli = discovery::kMpli;
  rdf::TermTable& terms = graph.terms();
  auto binds = [&](const std::string& kind) {
    return !graph.with_predicate_object(terms.iri(mpli + "workerKind"), terms.iri(mpli + kind))
                .empty();
  };
  provider.postgresql_worker = binds("PostgresqlWorker");
  provider.disk_image_worker = binds("DiskImageWorker");
  if (provider.disk_image_worker) provider.image_format = demo_image_format(provider.provider_id);
  return provider;
}

std::string demo_image_format(const std::string& provider_id) {
  if (provider_id == "nordwolke") return "raw";
  if (provider_id == "polderstack") return "vmdk";
  return "qcow2";
}

Status enable_logical_replication(const std::string& data_dir) {
  const std::string path = data_dir + "/postgresql.conf";
  const std::string marker = "# mpli up: logical replication";
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found("cannot read " + path);
    std::ostringstream read;
    read << in.rdbuf();
    text = read.str();
  }
  if (text.find(marker) != std::string::npos) return Status::ok();
  // Appended rather than rewritten: the file stays initdb's (and its owner's, postgres when we
  // are root), and a setting given later in the file wins.
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << "\n"
      << marker << ", for online migrations (docs/migrations.md)\n"
      << "wal_level = logical\n"
      << "max_replication_slots = 16\n"
      << "max_wal_senders = 16\n";
  out.flush();
  if (!out) return internal_error("cannot append to " + path);
  return Status::ok();
}

}  // namespace mpli::cli
