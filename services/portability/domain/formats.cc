#include "services/portability/domain/formats.h"

#include <algorithm>

#include "libs/rdf/graph.h"
#include "libs/rdf/parser.h"
#include "services/portability/domain/errors.h"

namespace mpli::portability {

namespace {

constexpr const char* kMpli = "https://w3id.org/mpli#";

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
  if (list.empty()) return "(none)";
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : ", ") + item;
  return out;
}

Status incompatible(const std::string& why, const std::vector<std::string>& exports,
                    const std::vector<std::string>& imports) {
  return portability_error(
      StatusCode::kFailedPrecondition, "FORMATS_INCOMPATIBLE",
      why + ": the source exports [" + joined(exports) + "], the target imports [" +
          joined(imports) + "]",
      {{"source_export_formats", joined(exports)}, {"target_import_formats", joined(imports)}});
}

}  // namespace

std::string compact_format(const std::string& iri) {
  const std::string mpli = kMpli;
  if (iri.rfind(mpli, 0) == 0) return "mpli:" + iri.substr(mpli.size());
  return iri;
}

std::string image_format_name(const std::string& format) {
  if (format == kFormatQcow2) return "qcow2";
  if (format == kFormatRawDisk) return "raw";
  if (format == kFormatVmdk) return "vmdk";
  return "";
}

Result<OfferingFormats> read_formats(const std::string& turtle, const std::string& offering_id) {
  rdf::Graph graph;
  rdf::ParseOptions options;
  options.base_iri = offering_id;
  MPLI_RETURN_IF_ERROR(rdf::parse_string(turtle, "offering", graph, options));
  rdf::TermTable& terms = graph.terms();
  const rdf::TermId offering = terms.iri(offering_id);
  auto values = [&](const std::string& predicate) {
    std::vector<std::string> out;
    for (const rdf::Triple& t :
         graph.with_subject_predicate(offering, terms.iri(std::string(kMpli) + predicate))) {
      out.push_back(compact_format(std::string(terms.value(t.o))));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  };
  OfferingFormats formats;
  formats.exports = values("exportFormat");
  formats.imports = values("importFormat");
  return formats;
}

Result<FormatChoice> choose_format(const std::string& data_kind, const std::string& requested_mode,
                                   const std::vector<std::string>& exports,
                                   const std::vector<std::string>& imports) {
  if (!requested_mode.empty() && requested_mode != "online" && requested_mode != "offline") {
    return bad_request("mode", "\"online\", \"offline\" or empty, not \"" + requested_mode + "\"");
  }
  FormatChoice choice;
  if (data_kind == "postgresql") {
    const bool online =
        has(exports, kFormatPgLogicalReplication) && has(imports, kFormatPgDumpCustom);
    std::string offline_format;
    for (const char* format : {kFormatPgDumpCustom, kFormatSqlPlain}) {
      if (offline_format.empty() && has(exports, format) && has(imports, format)) {
        offline_format = format;
      }
    }
    if (requested_mode == "online" && !online) {
      return incompatible(
          "online mode needs mpli:FormatPgLogicalReplication exported by the source and "
          "mpli:FormatPgDumpCustom imported by the target",
          exports, imports);
    }
    if (requested_mode == "offline" && offline_format.empty()) {
      return incompatible(
          "offline mode needs mpli:FormatPgDumpCustom (or mpli:FormatSqlPlain) on both sides",
          exports, imports);
    }
    if (requested_mode.empty() && !online && offline_format.empty()) {
      return incompatible("no source export format is among the target's import formats", exports,
                          imports);
    }
    if (requested_mode == "online" || (requested_mode.empty() && online)) {
      choice.mode = "online";
      choice.format = kFormatPgLogicalReplication;
    } else {
      choice.mode = "offline";
      choice.format = offline_format;
    }
    return choice;
  }
  if (data_kind == "disk-image") {
    if (requested_mode == "online") {
      return bad_request("mode", "a disk image moves offline only (frozen, then copied)");
    }
    const std::vector<std::string> images = {kFormatQcow2, kFormatRawDisk, kFormatVmdk};
    std::string common;
    std::string source_own;
    std::string target_own;
    for (const auto& format : exports) {
      if (has(images, format) && source_own.empty()) source_own = format;
      if (has(images, format) && has(imports, format) && common.empty()) common = format;
    }
    for (const auto& format : imports) {
      if (has(images, format) && target_own.empty()) target_own = format;
    }
    if (common.empty()) {
      return incompatible(
          "disk images need a common image format (mpli:FormatQcow2, mpli:FormatRawDisk, "
          "mpli:FormatVmdk)",
          exports, imports);
    }
    choice.mode = "offline";
    choice.format = common;
    choice.source_format = image_format_name(source_own);
    choice.target_format = image_format_name(target_own);
    return choice;
  }
  return portability_error(StatusCode::kFailedPrecondition, "NOT_MIGRATABLE",
                           "worker kind '" + data_kind + "' has no migration path",
                           {{"worker_kind", data_kind}});
}

}  // namespace mpli::portability
