#pragma once

// kstatus health (the Kubernetes cli-utils model Flux and Argo CD read) for every Gantry kind,
// as `gantryctl status` reports it:
//
//   a Task: RUNNING ─▶ Current, STOPPED while wanted RUNNING ─▶ Failed, else InProgress
//   a Deployment: COMPLETED ─▶ Current, FAILED / ROLLED_BACK ─▶ Failed, else InProgress
//   a ContainerInstance: agent connected ─▶ Current, else InProgress
//   the kinds controllers report on (Service, Environment, ...):
//     metadata.generation > status.observedGeneration ─▶ InProgress (not observed yet)
//     condition Stalled=True                          ─▶ Failed (its reason and message)
//     condition Reconciling=True                      ─▶ InProgress
//     condition Ready: True ─▶ Current, False ─▶ InProgress
//   anything else (a TaskDefinition, a Cluster, an Event) ─▶ Current once stored

#include <google/protobuf/message.h>

#include <string>

namespace gantry::cli {

enum class Health { kCurrent, kInProgress, kFailed, kNotFound };

struct ObjectHealth {
  Health health = Health::kCurrent;
  std::string message;  // why, when not Current; may be empty
};

const char* HealthName(Health health);  // Current, InProgress, Failed, NotFound

ObjectHealth HealthOf(const std::string& kind, const google::protobuf::Message& object);

}  // namespace gantry::cli
