module racerig.dev/examples/argo-race-controller

go 1.19
