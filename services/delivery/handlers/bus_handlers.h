// The delivery subjects mpli.delivery.v1.{create_order, get_order, list_orders, modify_order,
// delete_order, submit_task, get_task, move_order}: decode, call the use case, encode. The bill is
// served by billing/.
#pragma once

#include "libs/service/runtime.h"
#include "services/delivery/order_service.h"

namespace mpli::delivery {

Status serve_order_subjects(service::ServiceContext& context, OrderService& orders);

}  // namespace mpli::delivery
