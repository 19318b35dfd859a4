#include "services/delivery/billing/billing.h"

#include <chrono>
#include <memory>

#include "mpli/delivery/v1/delivery.pb.h"
#include "services/delivery/billing/bill.h"
#include "services/delivery/billing/bill_store.h"

namespace mpli::delivery::billing {

namespace {

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status serve_billing(service::ServiceContext& context) {
  if (context.pool == nullptr) return internal_error("get_bill needs the delivery database");
  auto store = context.own(std::make_shared<BillStore>(*context.pool));
  return context.serve<v1::GetBillRequest, v1::GetBillReply>(
      "get_bill",
      [store](const v1::GetBillRequest& request,
              const service::CallContext&) -> Result<v1::GetBillReply> {
        if (request.tenant().empty()) {
          return delivery_error(StatusCode::kInvalidArgument, "BAD_REQUEST",
                                "tenant: required (the consumer billed)", {{"field", "tenant"}});
        }
        MPLI_ASSIGN_OR_RETURN(Period period, parse_period(request.period()));
        MPLI_ASSIGN_OR_RETURN(auto orders, store->usage(request.tenant(), period));
        MPLI_ASSIGN_OR_RETURN(v1::Bill bill,
                              make_bill(request.tenant(), period, orders, now_unix_ms()));
        v1::GetBillReply reply;
        *reply.mutable_bill() = std::move(bill);
        return reply;
      });
}

}  // namespace mpli::delivery::billing
