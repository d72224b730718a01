#include <tracer/trace.h>
