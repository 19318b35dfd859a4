#include "services/delivery/domain/binding.h"

#include <algorithm>

#include "libs/rdf/graph.h"
#include "libs/rdf/parser.h"
#include "services/delivery/domain/order_state.h"

namespace mpli::delivery {

namespace {

constexpr const char* kMpli = "https://w3id.org/mpli#";
constexpr const char* kSchema = "https://schema.org/";

std::string local_name(std::string_view iri) {
  size_t cut = iri.find_last_of("#/");
  return std::string(cut == std::string_view::npos ? iri : iri.substr(cut + 1));
}

// "Provision" -> "provision"
std::string lower_first(std::string text) {
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] + 32);
  return text;
}

Status no_binding(const std::string& offering_id, const std::string& why) {
  return delivery_error(StatusCode::kFailedPrecondition, "NO_DELIVERY_BINDING",
                        "offering " + offering_id + ": " + why);
}

}  // namespace

bool DeliveryBinding::supports(const std::string& operation) const {
  return std::find(operations.begin(), operations.end(), operation) != operations.end();
}

std::string worker_kind_name(const std::string& local) {
  if (local == "PostgresqlWorker") return "postgresql";
  if (local == "AnsibleWorker") return "ansible";
  if (local == "ExecWorker") return "exec";
  if (local == "OpenTofuWorker") return "opentofu";
  if (local == "DiskImageWorker") return "disk-image";
  return "";
}

Result<DeliveryBinding> read_binding(const std::string& turtle, const std::string& offering_id) {
  rdf::Graph graph;
  rdf::ParseOptions options;
  options.base_iri = offering_id;
  MPLI_RETURN_IF_ERROR(rdf::parse_string(turtle, "offering", graph, options));
  rdf::TermTable& terms = graph.terms();
  const std::string mpli = kMpli;
  const std::string schema = kSchema;
  const rdf::TermId offering = terms.iri(offering_id);
  auto object = [&](rdf::TermId subject, const std::string& predicate) {
    return graph.object(subject, terms.iri(predicate));
  };
  auto text = [&](rdf::TermId term) {
    return term == rdf::kNoTerm ? std::string() : std::string(terms.value(term));
  };

  DeliveryBinding binding;
  const rdf::TermId delivery = object(offering, mpli + "delivery");
  if (delivery == rdf::kNoTerm) return no_binding(offering_id, "no mpli:delivery");
  const std::string kind = local_name(text(object(delivery, mpli + "workerKind")));
  binding.worker_kind = worker_kind_name(kind);
  if (binding.worker_kind.empty()) {
    return no_binding(offering_id, "unknown mpli:workerKind '" + kind + "'");
  }
  binding.artifact = text(object(delivery, mpli + "artifact"));
  for (const rdf::Triple& t :
       graph.with_subject_predicate(delivery, terms.iri(mpli + "supportsOperation"))) {
    binding.operations.push_back(lower_first(local_name(terms.value(t.o))));
  }
  std::sort(binding.operations.begin(), binding.operations.end());

  const rdf::TermId price = object(offering, mpli + "price");
  if (price != rdf::kNoTerm) {
    // The lexical form as written ("690.00"): the bill multiplies exact decimals, never doubles.
    binding.price_amount = text(object(price, schema + "price"));
    binding.price_currency = text(object(price, schema + "priceCurrency"));
    binding.price_unit = text(object(price, schema + "unitCode"));
  }
  return binding;
}

}  // namespace mpli::delivery
