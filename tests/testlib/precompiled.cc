// The translation unit that builds the tests' shared precompiled header (see gantry_cc_test).
