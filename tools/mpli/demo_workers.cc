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
  provider.postgresql_worker = !graph
                                    .with_predicate_object(terms.iri(mpli + "workerKind"),
                                                           terms.iri(mpli + "PostgresqlWorker"))
                                    .empty();
  return provider;
}

}  // namespace mpli::cli
