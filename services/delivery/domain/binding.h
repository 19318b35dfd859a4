// What delivery reads from an offering's graph (discovery get_offering, format "turtle"): the
// delivery binding (mpli:delivery) and the price exactly as written (mpli:price).
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::delivery {

struct DeliveryBinding {
  std::string worker_kind;              // "postgresql", "ansible", "exec", "opentofu", "disk-image"
  std::string artifact;                 // mpli:artifact
  std::vector<std::string> operations;  // "provision", "modify", ... (sorted)
  std::string price_amount;             // schema:price's lexical form ("690.00")
  std::string price_currency;           // schema:priceCurrency
  std::string price_unit;               // schema:unitCode
  bool supports(const std::string& operation) const;
};

// "PostgresqlWorker" -> "postgresql"; "" for a worker kind delivery does not know.
std::string worker_kind_name(const std::string& local_name);

// Reads the binding of `offering_id` from `turtle`. NO_DELIVERY_BINDING (FAILED_PRECONDITION)
// when the offering has no mpli:delivery or its worker kind is unknown.
Result<DeliveryBinding> read_binding(const std::string& turtle, const std::string& offering_id);

}  // namespace mpli::delivery
