#pragma once

// One informer per kind for the whole process (client-go's SharedInformerFactory): every
// controller that needs Tasks shares one list, one watch and one cache of them. Controllers ask
// for their informers and add handlers and indexes while they are built; the manager then starts
// them all and waits for their first lists before any worker runs.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "controllers/runtime/informer.h"

namespace gantry::controllers::runtime {

class InformerFactory {
 public:
  // `client` and `clock` must outlive the factory.
  InformerFactory(client::Client& client, clock::Clock& clock) : client_(client), clock_(clock) {}
  ~InformerFactory();  // stops every informer
  InformerFactory(const InformerFactory&) = delete;
  InformerFactory& operator=(const InformerFactory&) = delete;

  // The process's informer of `kind`, made on first use. Add handlers and indexes before Start.
  Informer& For(const schema::KindInfo& kind);
  // Starts every informer not started yet (call again after asking for more).
  void Start();
  // True once every started informer has its first list; false at the timeout.
  bool WaitForCacheSync(std::chrono::milliseconds timeout);
  void Stop();

 private:
  client::Client& client_;
  clock::Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Informer>> informers_;  // by kind name
  std::map<std::string, bool> started_;
};

}  // namespace gantry::controllers::runtime
