package main

// Lease renewal, as client-go leader election does it for Argo's controller
// (cmd/workflow-controller/main.go at v3.6.0-rc1: leaderelection.RunOrDie with a
// resourcelock.LeaseLock; RetryPeriod 5s, LeaseDuration 15s): GET the Lease,
// create it if missing, else PUT it back with a new renewTime.

import (
	"context"
	"fmt"
	"log"
	"time"
)

const leaseName = "argo-race-controller"

func microTime() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

// runLease keeps the Lease renewed every interval until ctx ends.
func runLease(ctx context.Context, c *Client, namespace, identity string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := renewLease(ctx, c, namespace, identity); err != nil && ctx.Err() == nil {
			log.Printf("level=warning msg=\"lease renewal failed\" error=%q", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func renewLease(ctx context.Context, c *Client, namespace, identity string) error {
	base := fmt.Sprintf("/apis/coordination.k8s.io/v1/namespaces/%s/leases", namespace)
	var lease map[string]interface{}
	err := c.Do(ctx, "GET", base+"/"+leaseName, nil, nil, "", &lease)
	if isNotFound(err) {
		ts := microTime()
		lease = map[string]interface{}{
			"apiVersion": "coordination.k8s.io/v1",
			"kind":       "Lease",
			"metadata":   map[string]interface{}{"name": leaseName, "namespace": namespace},
			"spec": map[string]interface{}{
				"holderIdentity": identity, "leaseDurationSeconds": 15,
				"acquireTime": ts, "renewTime": ts, "leaseTransitions": 0,
			},
		}
		err = c.Do(ctx, "POST", base, nil, lease, "", nil)
		if isAlreadyExists(err) {
			return nil // someone created it meanwhile: renew next time
		}
		return err
	}
	if err != nil {
		return err
	}
	spec, _ := lease["spec"].(map[string]interface{})
	if spec == nil {
		spec = map[string]interface{}{}
		lease["spec"] = spec
	}
	spec["holderIdentity"] = identity
	spec["renewTime"] = microTime()
	return c.Do(ctx, "PUT", base+"/"+leaseName, nil, lease, "", nil)
}
