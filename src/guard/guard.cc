// LoadClassifier: placeholder until the model-backed guard lands (issue 4); it reports that
// plainly instead of pretending to classify.
#include "guard/guard.h"

namespace haloguard::guard {

StatusOr<std::unique_ptr<Classifier>> LoadClassifier(const GuardOptions& options) {
  return UnimplementedError("guard: the model-backed classifier is not built yet (model '" +
                            options.model + "')");
}

}  // namespace haloguard::guard
