#include "libs/core/violation_json.h"

namespace mpli {

nlohmann::json violation_json(const Violation& violation) {
  nlohmann::json j{{"focus_node", violation.focus_node}, {"path", violation.path},
                   {"constraint", violation.constraint}, {"value", violation.value},
                   {"message", violation.message},       {"severity", violation.severity}};
  if (violation.line > 0) {
    j["line"] = violation.line;
    j["column"] = violation.column;
  }
  if (!violation.owner.empty()) j["owner"] = violation.owner;
  return j;
}

}  // namespace mpli
