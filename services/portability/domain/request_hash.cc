#include "services/portability/domain/request_hash.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "libs/core/digest.h"

namespace mpli::portability {

std::string request_hash(const v1::CreateMigrationRequest& request) {
  v1::CreateMigrationRequest keyless = request;
  keyless.clear_idempotency_key();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    keyless.SerializeToCodedStream(&coded);
  }
  return digest::sha256_hex(bytes);
}

}  // namespace mpli::portability
