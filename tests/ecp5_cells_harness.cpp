// A clocked harness of tests/test_ecp5_cell_models.py: a Verilated `top` with inputs in0..in2
// and outputs out0..out3 (each at most 64 bits), clock clk and reset rst (held low). A C ABI
// for ctypes. A $fatal of the design (a cell model refusing its parameters) does not end the
// process: cells_new returns null when it came during initialisation.

#include <cstdint>
#include <memory>

#include "Vtop.h"
#include "verilated.h"

namespace {

struct Bench {
    std::unique_ptr<VerilatedContext> context;
    std::unique_ptr<Vtop> top;

    Bench() : context(new VerilatedContext) {
        context->threads(1);
        context->fatalOnError(false);
        top.reset(new Vtop(context.get(), "top"));
        top->clk = 0;
        top->rst = 0;
        top->eval();
    }
};

}  // namespace

extern "C" {

void* cells_new() {
    Bench* b = new Bench();
    if (b->context->gotFinish()) {
        delete b;
        return nullptr;
    }
    return b;
}

void cells_free(void* h) { delete static_cast<Bench*>(h); }

// Apply in[0..2] with the clock low, one rising and one falling edge, then read out[0..3].
// Returns 0, or -1 once the design has stopped.
int cells_step(void* h, const uint64_t* in, uint64_t* out) {
    Bench& b = *static_cast<Bench*>(h);
    b.top->in0 = in[0];
    b.top->in1 = in[1];
    b.top->in2 = in[2];
    b.top->eval();
    b.top->clk = 1;
    b.top->eval();
    b.top->clk = 0;
    b.top->eval();
    out[0] = b.top->out0;
    out[1] = b.top->out1;
    out[2] = b.top->out2;
    out[3] = b.top->out3;
    return b.context->gotFinish() ? -1 : 0;
}

}  // extern "C"
