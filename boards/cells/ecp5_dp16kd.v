// DP16KD (ECP5 block RAM, 1024 x 18 bits) for gate-level simulation of ECP5 netlists
// (boards/gate_level.py): the project's reading of the ECP5 memory documentation (Lattice
// TN1264, "ECP5 and ECP5-5G Memory Usage Guide") and of Yosys' ECP5 memory mapping
// (share/lattice/brams_16kd.txt, brams_map_16kd.v). It is not Lattice's model, and it models
// only the configurations that mapping gives the EIE link's memories; any other parameter
// setting stops the simulation ($fatal in an initial block) and a parameter or pin it does
// not declare fails the Verilator build.
//
// What this model implements:
// * DATA_WIDTH_A = DATA_WIDTH_B = 9 or 18 (true dual port) and 36/36 (pseudo dual port:
//   port A writes, port B reads). The storage is 1024 rows of 18 bits, two 9-bit bytes a row
//   (byte 0 = bits 8:0). 18: the row is AD[13:4], AD[1:0] enable bytes 0/1 of a write
//   (AD[3:2] unused). 9: the byte is AD[13:3] (row AD[13:4], byte AD[3]; AD[2:0] unused),
//   DI[8:0]/DO[8:0] carry it and DO[17:9] reads 0. 36: a word is rows 2w (bits 17:0, on
//   DIA/DOA) and 2w+1 (bits 35:18, on DIB/DOB) with w = AD[13:5]; ADA[3:0] enable its four
//   bytes, ADA4/ADB[4:0] are unused; port B must not write.
// * REGMODE "NOREG": a read (CE high) takes the row before the clock edge into the output
//   latch, one cycle of latency; OCE is ignored. WRITEMODE "READBEFOREWRITE" in 9/18 (a
//   writing port reads the old word), "NORMAL" in 36 (neither port both reads and writes).
// * RESETMODE "ASYNC": RST clears its port's output latch at once (in 36, RSTB both halves);
//   ASYNC_RESET_RELEASE "ASYNC" or "SYNC" (the same without timing: nothing changes the latch
//   before the next edge either way). The latches start at zero.
// * CSDECODE "0b000" with the CS pins low (a port clocked with a CS pin high stops the
//   simulation), CLKAMUX "CLKA", CLKBMUX "CLKB", both ports on one clock (stops if CLKA and
//   CLKB ever differ); GSR is accepted and has no effect (no GSR in the netlist).
// * INITVAL_xx: 16 fields of 20 bits, field i's low 18 bits are row 16*xx + i (Yosys' layout
//   of its INIT in init_slice).
// * Collisions of the two ports on one word (at the ports' width) in one cycle, whose result
//   this model does not take as defined: a port reading the word the other port writes reads
//   the old word inverted, and two writes of one word store port A's word inverted, so a
//   design that depends on either fails instead of passing by luck.
module DP16KD (
    input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
    input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
    input CEA, OCEA, CLKA, WEA, RSTA,
    input CSA2, CSA1, CSA0,
    output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
    input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
    input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
    input CEB, OCEB, CLKB, WEB, RSTB,
    input CSB2, CSB1, CSB0,
    output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
    parameter DATA_WIDTH_A = 18;
    parameter DATA_WIDTH_B = 18;
    parameter REGMODE_A = "NOREG";
    parameter REGMODE_B = "NOREG";
    parameter RESETMODE = "SYNC";
    parameter ASYNC_RESET_RELEASE = "SYNC";
    parameter CSDECODE_A = "0b000";
    parameter CSDECODE_B = "0b000";
    parameter WRITEMODE_A = "NORMAL";
    parameter WRITEMODE_B = "NORMAL";
    parameter CLKAMUX = "CLKA";
    parameter CLKBMUX = "CLKB";
    parameter GSR = "ENABLED";
    parameter [319:0] INITVAL_00 = 320'h0;
    parameter [319:0] INITVAL_01 = 320'h0;
    parameter [319:0] INITVAL_02 = 320'h0;
    parameter [319:0] INITVAL_03 = 320'h0;
    parameter [319:0] INITVAL_04 = 320'h0;
    parameter [319:0] INITVAL_05 = 320'h0;
    parameter [319:0] INITVAL_06 = 320'h0;
    parameter [319:0] INITVAL_07 = 320'h0;
    parameter [319:0] INITVAL_08 = 320'h0;
    parameter [319:0] INITVAL_09 = 320'h0;
    parameter [319:0] INITVAL_0A = 320'h0;
    parameter [319:0] INITVAL_0B = 320'h0;
    parameter [319:0] INITVAL_0C = 320'h0;
    parameter [319:0] INITVAL_0D = 320'h0;
    parameter [319:0] INITVAL_0E = 320'h0;
    parameter [319:0] INITVAL_0F = 320'h0;
    parameter [319:0] INITVAL_10 = 320'h0;
    parameter [319:0] INITVAL_11 = 320'h0;
    parameter [319:0] INITVAL_12 = 320'h0;
    parameter [319:0] INITVAL_13 = 320'h0;
    parameter [319:0] INITVAL_14 = 320'h0;
    parameter [319:0] INITVAL_15 = 320'h0;
    parameter [319:0] INITVAL_16 = 320'h0;
    parameter [319:0] INITVAL_17 = 320'h0;
    parameter [319:0] INITVAL_18 = 320'h0;
    parameter [319:0] INITVAL_19 = 320'h0;
    parameter [319:0] INITVAL_1A = 320'h0;
    parameter [319:0] INITVAL_1B = 320'h0;
    parameter [319:0] INITVAL_1C = 320'h0;
    parameter [319:0] INITVAL_1D = 320'h0;
    parameter [319:0] INITVAL_1E = 320'h0;
    parameter [319:0] INITVAL_1F = 320'h0;
    parameter [319:0] INITVAL_20 = 320'h0;
    parameter [319:0] INITVAL_21 = 320'h0;
    parameter [319:0] INITVAL_22 = 320'h0;
    parameter [319:0] INITVAL_23 = 320'h0;
    parameter [319:0] INITVAL_24 = 320'h0;
    parameter [319:0] INITVAL_25 = 320'h0;
    parameter [319:0] INITVAL_26 = 320'h0;
    parameter [319:0] INITVAL_27 = 320'h0;
    parameter [319:0] INITVAL_28 = 320'h0;
    parameter [319:0] INITVAL_29 = 320'h0;
    parameter [319:0] INITVAL_2A = 320'h0;
    parameter [319:0] INITVAL_2B = 320'h0;
    parameter [319:0] INITVAL_2C = 320'h0;
    parameter [319:0] INITVAL_2D = 320'h0;
    parameter [319:0] INITVAL_2E = 320'h0;
    parameter [319:0] INITVAL_2F = 320'h0;
    parameter [319:0] INITVAL_30 = 320'h0;
    parameter [319:0] INITVAL_31 = 320'h0;
    parameter [319:0] INITVAL_32 = 320'h0;
    parameter [319:0] INITVAL_33 = 320'h0;
    parameter [319:0] INITVAL_34 = 320'h0;
    parameter [319:0] INITVAL_35 = 320'h0;
    parameter [319:0] INITVAL_36 = 320'h0;
    parameter [319:0] INITVAL_37 = 320'h0;
    parameter [319:0] INITVAL_38 = 320'h0;
    parameter [319:0] INITVAL_39 = 320'h0;
    parameter [319:0] INITVAL_3A = 320'h0;
    parameter [319:0] INITVAL_3B = 320'h0;
    parameter [319:0] INITVAL_3C = 320'h0;
    parameter [319:0] INITVAL_3D = 320'h0;
    parameter [319:0] INITVAL_3E = 320'h0;
    parameter [319:0] INITVAL_3F = 320'h0;

    localparam WIDE = DATA_WIDTH_A == 36;
    localparam BYTE = DATA_WIDTH_A == 9;

    initial begin
        if (!((DATA_WIDTH_A == 9 || DATA_WIDTH_A == 18 || DATA_WIDTH_A == 36)
              && DATA_WIDTH_B == DATA_WIDTH_A))
            $fatal(1, "DP16KD %m: DATA_WIDTH_A=%0d DATA_WIDTH_B=%0d is not modelled (9/9, 18/18 or 36/36 only)", DATA_WIDTH_A, DATA_WIDTH_B);
        if (REGMODE_A != "NOREG" || REGMODE_B != "NOREG")
            $fatal(1, "DP16KD %m: REGMODE_A=%0s REGMODE_B=%0s is not modelled (NOREG only)",
                   REGMODE_A, REGMODE_B);
        if (RESETMODE != "ASYNC")
            $fatal(1, "DP16KD %m: RESETMODE=%0s is not modelled (ASYNC only)", RESETMODE);
        if (ASYNC_RESET_RELEASE != "ASYNC" && ASYNC_RESET_RELEASE != "SYNC")
            $fatal(1, "DP16KD %m: ASYNC_RESET_RELEASE=%0s is not modelled", ASYNC_RESET_RELEASE);
        if (CSDECODE_A != "0b000" || CSDECODE_B != "0b000")
            $fatal(1, "DP16KD %m: CSDECODE_A=%0s CSDECODE_B=%0s is not modelled (0b000 only)",
                   CSDECODE_A, CSDECODE_B);
        if (CLKAMUX != "CLKA" || CLKBMUX != "CLKB")
            $fatal(1, "DP16KD %m: CLKAMUX=%0s CLKBMUX=%0s is not modelled (no inversion)",
                   CLKAMUX, CLKBMUX);
        if (WIDE ? (WRITEMODE_A != "NORMAL" || WRITEMODE_B != "NORMAL")
                 : (WRITEMODE_A != "READBEFOREWRITE" || WRITEMODE_B != "READBEFOREWRITE"))
            $fatal(1, "DP16KD %m: WRITEMODE_A=%0s WRITEMODE_B=%0s is not modelled at width %0d (READBEFOREWRITE at 9 and 18, NORMAL at 36)", WRITEMODE_A, WRITEMODE_B,
                   DATA_WIDTH_A);
        if (GSR != "ENABLED" && GSR != "DISABLED" && GSR != "AUTO")
            $fatal(1, "DP16KD %m: GSR=%0s is not modelled", GSR);
    end

    reg [17:0] mem [0:1023];

    task load(input [5:0] block, input [319:0] value);
        integer i;
        for (i = 0; i < 16; i = i + 1)
            mem[{block, 4'b0} + i] = value[20 * i +: 18];
    endtask

    initial begin
        load(6'h00, INITVAL_00);
        load(6'h01, INITVAL_01);
        load(6'h02, INITVAL_02);
        load(6'h03, INITVAL_03);
        load(6'h04, INITVAL_04);
        load(6'h05, INITVAL_05);
        load(6'h06, INITVAL_06);
        load(6'h07, INITVAL_07);
        load(6'h08, INITVAL_08);
        load(6'h09, INITVAL_09);
        load(6'h0A, INITVAL_0A);
        load(6'h0B, INITVAL_0B);
        load(6'h0C, INITVAL_0C);
        load(6'h0D, INITVAL_0D);
        load(6'h0E, INITVAL_0E);
        load(6'h0F, INITVAL_0F);
        load(6'h10, INITVAL_10);
        load(6'h11, INITVAL_11);
        load(6'h12, INITVAL_12);
        load(6'h13, INITVAL_13);
        load(6'h14, INITVAL_14);
        load(6'h15, INITVAL_15);
        load(6'h16, INITVAL_16);
        load(6'h17, INITVAL_17);
        load(6'h18, INITVAL_18);
        load(6'h19, INITVAL_19);
        load(6'h1A, INITVAL_1A);
        load(6'h1B, INITVAL_1B);
        load(6'h1C, INITVAL_1C);
        load(6'h1D, INITVAL_1D);
        load(6'h1E, INITVAL_1E);
        load(6'h1F, INITVAL_1F);
        load(6'h20, INITVAL_20);
        load(6'h21, INITVAL_21);
        load(6'h22, INITVAL_22);
        load(6'h23, INITVAL_23);
        load(6'h24, INITVAL_24);
        load(6'h25, INITVAL_25);
        load(6'h26, INITVAL_26);
        load(6'h27, INITVAL_27);
        load(6'h28, INITVAL_28);
        load(6'h29, INITVAL_29);
        load(6'h2A, INITVAL_2A);
        load(6'h2B, INITVAL_2B);
        load(6'h2C, INITVAL_2C);
        load(6'h2D, INITVAL_2D);
        load(6'h2E, INITVAL_2E);
        load(6'h2F, INITVAL_2F);
        load(6'h30, INITVAL_30);
        load(6'h31, INITVAL_31);
        load(6'h32, INITVAL_32);
        load(6'h33, INITVAL_33);
        load(6'h34, INITVAL_34);
        load(6'h35, INITVAL_35);
        load(6'h36, INITVAL_36);
        load(6'h37, INITVAL_37);
        load(6'h38, INITVAL_38);
        load(6'h39, INITVAL_39);
        load(6'h3A, INITVAL_3A);
        load(6'h3B, INITVAL_3B);
        load(6'h3C, INITVAL_3C);
        load(6'h3D, INITVAL_3D);
        load(6'h3E, INITVAL_3E);
        load(6'h3F, INITVAL_3F);
    end

    wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
    wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
    wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
    wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
    wire [35:0] di36 = {dib, dia};

    // A port's enable: CE (the CS pins are checked low at each edge below).
    wire a_on = CEA;
    wire b_on = CEB;

    // The rows a port addresses (in 36, port A writes rows a_row0/a_row1, port B reads them).
    wire [9:0] a_row = ada[13:4];
    wire [9:0] b_row = adb[13:4];
    wire [9:0] a_row0 = {ada[13:5], 1'b0};
    wire [9:0] a_row1 = {ada[13:5], 1'b1};
    wire [9:0] b_row0 = {adb[13:5], 1'b0};
    wire [9:0] b_row1 = {adb[13:5], 1'b1};

    // A port's word address at its width (collisions compare these), byte enables of a
    // write, and its data placed in the row.
    wire [10:0] a_word = BYTE ? ada[13:3] : WIDE ? {2'b0, ada[13:5]} : {1'b0, ada[13:4]};
    wire [10:0] b_word = BYTE ? adb[13:3] : WIDE ? {2'b0, adb[13:5]} : {1'b0, adb[13:4]};
    wire collide = a_word == b_word;
    wire [1:0] a_bytes = BYTE ? (ada[3] ? 2'b10 : 2'b01) : ada[1:0];
    wire [1:0] b_bytes = BYTE ? (adb[3] ? 2'b10 : 2'b01) : adb[1:0];
    wire [17:0] a_data = BYTE ? {2{dia[8:0]}} : dia;
    wire [17:0] b_data = BYTE ? {2{dib[8:0]}} : dib;

    function [17:0] merge(input [17:0] old, input [17:0] data, input [1:0] bytes);
        merge = {bytes[1] ? data[17:9] : old[17:9], bytes[0] ? data[8:0] : old[8:0]};
    endfunction

    // Writes this edge. 9/18: port A's row a_row, port B's row b_row (one row update when
    // they share it). 36: port A's rows a_row0 (bytes 0, 1) and a_row1 (bytes 2, 3).
    wire a_w = a_on && WEA && (WIDE ? |ada[3:0] : |a_bytes);
    wire b_w = b_on && WEB && !WIDE;
    wire [17:0] a_wval = merge(mem[a_row], a_data, a_bytes);
    wire [17:0] b_wval = merge(mem[b_row], b_data, b_bytes);
    wire [17:0] ab_wval = collide ? ~a_wval : merge(a_wval, b_data, b_bytes);
    wire [17:0] a_wval0 = merge(mem[a_row0], di36[17:0], ada[1:0]);
    wire [17:0] a_wval1 = merge(mem[a_row1], di36[35:18], ada[3:2]);

    // Reads this edge: the old rows, inverted where the other port writes the same word.
    wire [17:0] a_old = mem[a_row] ^ {18{b_w && collide}};
    wire [17:0] b_old = mem[b_row] ^ {18{a_w && collide}};
    wire [17:0] a_next = BYTE ? {9'b0, ada[3] ? a_old[17:9] : a_old[8:0]} : a_old;
    wire [17:0] b_next = BYTE ? {9'b0, adb[3] ? b_old[17:9] : b_old[8:0]} : b_old;
    wire [35:0] b_next36 = {mem[b_row1], mem[b_row0]} ^ {36{a_w && collide}};

    always @(posedge CLKA) begin
        if (CLKB !== CLKA)
            $fatal(1, "DP16KD %m: CLKA and CLKB differ; only one clock for both ports is modelled");
        if ((a_on && {CSA2, CSA1, CSA0} != 3'b000) || (b_on && {CSB2, CSB1, CSB0} != 3'b000))
            $fatal(1, "DP16KD %m: a CS pin is high; only CSDECODE 0b000 with CS low is modelled");
        if (WIDE && b_on && WEB)
            $fatal(1, "DP16KD %m: port B writes at width 36, which is not modelled");
        if (WIDE) begin
            if (a_w && |ada[1:0]) mem[a_row0] <= a_wval0;
            if (a_w && |ada[3:2]) mem[a_row1] <= a_wval1;
        end else if (a_w && b_w && a_row == b_row) begin
            mem[a_row] <= ab_wval;
        end else begin
            if (a_w) mem[a_row] <= a_wval;
            if (b_w) mem[b_row] <= b_wval;
        end
    end

    reg [17:0] a_out = 18'b0;
    reg [35:0] b_out = 36'b0;

    always @(posedge CLKA or posedge RSTA)
        if (RSTA) a_out <= 18'b0;
        else if (a_on && !WIDE) a_out <= a_next;

    always @(posedge CLKB or posedge RSTB)
        if (RSTB) b_out <= 36'b0;
        else if (b_on) b_out <= WIDE ? b_next36 : {18'b0, b_next};

    assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = WIDE ? b_out[17:0] : a_out;
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = WIDE ? b_out[35:18] : b_out[17:0];
endmodule
