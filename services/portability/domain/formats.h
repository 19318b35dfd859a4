// Choosing the migration's format and mode from the source offering's mpli:exportFormat and the
// target's mpli:importFormat (docs/migrations.md, "Before planning", 4).
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::portability {

inline constexpr const char* kFormatPgLogicalReplication = "mpli:FormatPgLogicalReplication";
inline constexpr const char* kFormatPgDumpCustom = "mpli:FormatPgDumpCustom";
inline constexpr const char* kFormatSqlPlain = "mpli:FormatSqlPlain";
inline constexpr const char* kFormatQcow2 = "mpli:FormatQcow2";
inline constexpr const char* kFormatRawDisk = "mpli:FormatRawDisk";
inline constexpr const char* kFormatVmdk = "mpli:FormatVmdk";

// What an offering's graph says about it for a migration.
struct OfferingFormats {
  std::vector<std::string> exports;  // compact ("mpli:FormatPgDumpCustom"), in graph order
  std::vector<std::string> imports;
};

// "https://w3id.org/mpli#FormatQcow2" -> "mpli:FormatQcow2"; other IRIs unchanged.
std::string compact_format(const std::string& iri);

// Reads mpli:exportFormat and mpli:importFormat of `offering_id` from its Turtle (discovery's
// get_offering with format "turtle"). Sorted, without duplicates.
Result<OfferingFormats> read_formats(const std::string& turtle, const std::string& offering_id);

struct FormatChoice {
  std::string mode;           // "online" or "offline"
  std::string format;         // compact IRI
  std::string source_format;  // disk images: "qcow2", "raw", "vmdk"
  std::string target_format;
};

// `requested_mode` "" = online when both sides can, else offline. FORMATS_INCOMPATIBLE
// (FAILED_PRECONDITION) naming both lists when nothing fits; NOT_MIGRATABLE for a worker kind
// without a migration path; BAD_REQUEST for an unknown mode.
Result<FormatChoice> choose_format(const std::string& data_kind, const std::string& requested_mode,
                                   const std::vector<std::string>& source_exports,
                                   const std::vector<std::string>& target_imports);

// "mpli:FormatQcow2" -> "qcow2", "mpli:FormatRawDisk" -> "raw", "mpli:FormatVmdk" -> "vmdk".
std::string image_format_name(const std::string& format);

}  // namespace mpli::portability
