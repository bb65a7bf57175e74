package main

// configmap.h, included by abi.c, is the C config map generated from
// filter.Properties; internal/configgen's test fails when it is stale.
//go:generate go run ../internal/configgen -o configmap.h
