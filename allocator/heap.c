#include <allocator/heap.h>
