#include "services/delivery/domain/request_hash.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "libs/core/digest.h"

namespace mpli::delivery {

std::string request_hash(const v1::CreateOrderRequest& request) {
  v1::CreateOrderRequest keyless = request;
  keyless.clear_idempotency_key();
  // For an offering, 0 means 1: the same request. (For an answer 0 means the assignment's.)
  if (keyless.has_offering_id() && keyless.quantity() == 0) keyless.set_quantity(1);
  return deterministic_hash(keyless);
}

std::string deterministic_hash(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return digest::sha256_hex(bytes);
}

}  // namespace mpli::delivery
