#include "services/trust/domain/anchor_policy.h"

#include <algorithm>

#include "services/trust/domain/vocabulary.h"

namespace mpli::trust {
namespace {

Status bad_anchors(const std::string& field, const std::string& message) {
  return Status(StatusCode::kInvalidArgument, field + ": " + message,
                {{"reason", "BAD_ANCHORS"}, {"domain", "trust"}, {"field", field}});
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

Result<std::vector<std::string>> strings_at(const nlohmann::json& entry, const char* name,
                                            const std::string& where) {
  std::vector<std::string> out;
  auto it = entry.find(name);
  if (it == entry.end()) return out;
  if (!it->is_array()) return bad_anchors(where + "." + name, "must be an array of strings");
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& item = (*it)[i];
    std::string field = where + "." + name + "[" + std::to_string(i) + "]";
    if (!item.is_string() || item.get<std::string>().empty()) {
      return bad_anchors(field, "must be a non-empty string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

bool AnchorSet::accepts(const std::string& credential_type, const std::string& issuer,
                        const std::string& trust_root) const {
  for (const auto& anchor : anchors) {
    if (anchor.credential_type != credential_type && anchor.credential_type != "*") continue;
    if (!issuer.empty() && contains(anchor.issuers, issuer)) return true;
    if (!trust_root.empty() && contains(anchor.root_fingerprints, trust_root)) return true;
  }
  return false;
}

std::vector<std::string> AnchorSet::all_root_certificates() const {
  std::vector<std::string> out;
  for (const auto& anchor : anchors) {
    for (const auto& pem : anchor.root_certificates) {
      if (!contains(out, pem)) out.push_back(pem);
    }
  }
  return out;
}

Result<AnchorSet> anchors_from_json(const nlohmann::json& document) {
  if (!document.is_object()) return bad_anchors("anchors", "the document must be a JSON object");
  auto list = document.find("anchors");
  if (list == document.end() || !list->is_array()) {
    return bad_anchors("anchors", "must be an array of anchors");
  }
  AnchorSet set;
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& entry = (*list)[i];
    std::string where = "anchors[" + std::to_string(i) + "]";
    if (!entry.is_object()) return bad_anchors(where, "must be an object");
    TrustAnchor anchor;
    auto type = entry.find("credential_type");
    if (type == entry.end() || !type->is_string() || type->get<std::string>().empty()) {
      return bad_anchors(where + ".credential_type",
                         "required: a credential type IRI (e.g. mpli:CertificationCredential) "
                         "or \"*\"");
    }
    anchor.credential_type = type->get<std::string>();
    if (anchor.credential_type.rfind("mpli:", 0) == 0) {
      anchor.credential_type = std::string(vocab::kMpli) + anchor.credential_type.substr(5);
    }
    MPLI_ASSIGN_OR_RETURN(anchor.issuers, strings_at(entry, "issuers", where));
    MPLI_ASSIGN_OR_RETURN(anchor.root_certificates, strings_at(entry, "root_certificates", where));
    if (anchor.issuers.empty() && anchor.root_certificates.empty()) {
      return bad_anchors(where, "names neither issuers nor root_certificates: it trusts nobody");
    }
    auto label = entry.find("label");
    if (label != entry.end() && label->is_string()) anchor.label = label->get<std::string>();
    set.anchors.push_back(std::move(anchor));
  }
  return set;
}

nlohmann::json anchors_to_json(const AnchorSet& anchors) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& anchor : anchors.anchors) {
    nlohmann::json entry = {{"credential_type", anchor.credential_type},
                            {"issuers", anchor.issuers},
                            {"root_certificates", anchor.root_certificates}};
    if (!anchor.label.empty()) entry["label"] = anchor.label;
    list.push_back(std::move(entry));
  }
  return {{"anchors", list}, {"version", anchors.version}};
}

}  // namespace mpli::trust
