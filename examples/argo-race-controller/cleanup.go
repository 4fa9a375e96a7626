package main

// Pod cleanup, modelled on Argo Workflows v3.6.0-rc1
// workflow/controller/controller.go (processNextPodCleanupItem, signalContainers,
// enablePodForDeletion; podCleanupQueue with workqueue.DefaultControllerRateLimiter,
// --pod-cleanup-workers 4), workflow/controller/pod_cleanup_key.go (the actions)
// and workflow/controller/operator.go (cleanUpPod: queue terminateContainers once
// the main container has exited). Workers do not recover panics: as in Argo
// (runtimeutil.HandleCrash re-panics), a panic in a worker ends the process.

import (
	"context"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"
)

const (
	deletePod           = "deletePod"
	labelPodCompleted   = "labelPodCompleted"
	terminateContainers = "terminateContainers"
	killContainers      = "killContainers"
)

type podCleanup struct {
	namespace   string
	client      *Client     // this component's own client (GET/PUT/DELETE pods)
	execConfig  *restConfig // every exec builds new clients from it (Argo: wfc.restConfig)
	pods        *informer[Pod]
	queue       *workQueue
	events      *eventRecorder
	metrics     *Metrics
	deleteDelay time.Duration

	mu         sync.Mutex
	completing map[string]bool // pods already queued for labelPodCompleted
}

func newPodCleanupKey(namespace, podName, action string) string {
	return fmt.Sprintf("%s/%s/%s", namespace, podName, action)
}

func parsePodCleanupKey(k string) (namespace, podName, action string) {
	parts := strings.Split(k, "/")
	if len(parts) != 3 {
		return "", "", ""
	}
	return parts[0], parts[1], parts[2]
}

// terminate queues the pod for terminateContainers. Like Argo's cleanUpPod and applyExecutionControl
// (operator.go, exec_control.go @ v3.6.0-rc1) it is called on every reconciliation that finds the pod
// still needing termination, with no memory of earlier calls: the queue folds repeats of a waiting key
// into one, and a key added while a worker processes it is processed again afterwards (its containers
// still running in the cache are signalled again), as client-go's workqueue does.
func (c *podCleanup) terminate(pod *Pod) {
	c.queue.AddRateLimited(newPodCleanupKey(pod.Metadata.Namespace, pod.Metadata.Name, terminateContainers))
}

// completed queues labelling the pod completed (which then queues its deletion), once per pod.
func (c *podCleanup) completed(pod *Pod) {
	if pod.Metadata.Labels[labelCompleted] == "true" {
		return
	}
	c.mu.Lock()
	first := !c.completing[pod.Metadata.Name]
	c.completing[pod.Metadata.Name] = true
	c.mu.Unlock()
	if first {
		c.queue.AddRateLimited(newPodCleanupKey(pod.Metadata.Namespace, pod.Metadata.Name, labelPodCompleted))
	}
}

// run starts `workers` workers; they return when the queue shuts down.
func (c *podCleanup) run(ctx context.Context, workers int, wg *sync.WaitGroup) {
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.processNextPodCleanupItem(ctx) {
			}
		}()
	}
}

func (c *podCleanup) processNextPodCleanupItem(ctx context.Context) bool {
	key, ok := c.queue.Get()
	if !ok {
		return false
	}
	defer c.queue.Done(key)

	namespace, podName, action := parsePodCleanupKey(key)
	err := func() error {
		switch action {
		case terminateContainers:
			if pod, ok := c.pods.Get(podName); ok && pod.Status.Phase == "Pending" {
				c.queue.AddRateLimited(newPodCleanupKey(namespace, podName, deletePod))
			} else if grace, err := c.signalContainers(ctx, podName, 15); err != nil {
				return err
			} else if grace > 0 {
				c.queue.AddAfter(newPodCleanupKey(namespace, podName, killContainers), grace)
			}
		case killContainers:
			if _, err := c.signalContainers(ctx, podName, 9); err != nil {
				return err
			}
		case labelPodCompleted:
			if err := c.labelCompleted(ctx, podName); err != nil {
				return err
			}
			c.queue.AddAfter(newPodCleanupKey(namespace, podName, deletePod), c.deleteDelay)
		case deletePod:
			path := fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", namespace, podName)
			body := map[string]interface{}{"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
			if err := c.client.Do(ctx, "DELETE", path, nil, body, "", nil); err != nil && !isNotFound(err) {
				return err
			}
			c.mu.Lock()
			delete(c.completing, podName)
			c.mu.Unlock()
		}
		return nil
	}()
	if err != nil && ctx.Err() == nil {
		log.Printf("level=warning msg=\"failed to clean-up pod\" key=%s error=%q", key, err)
		if isTransient(err) {
			c.queue.AddRateLimited(key)
		}
	}
	return true
}

// signalContainers execs `kill -<sig> 1` into every running container of the pod, one after
// another (Argo: signalContainers ignores each exec's error), and returns the grace period.
func (c *podCleanup) signalContainers(ctx context.Context, podName string, sig int) (time.Duration, error) {
	pod, ok := c.pods.Get(podName)
	if !ok {
		return 0, nil
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running == nil {
			continue
		}
		err := signalContainer(ctx, c.execConfig, pod, cs.Name, sig)
		result := "ok"
		if err != nil {
			result = "error"
		}
		c.metrics.AddInt(nameExecTotal, 1, "result", result)
		c.events.Event(podRef(pod), "Normal", "ContainerSignaled", fmt.Sprintf("signal %d sent to container %s", sig, cs.Name))
	}
	if pod.Spec.TerminationGracePeriodSeconds == nil {
		return 30 * time.Second, nil
	}
	return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second, nil
}

// labelCompleted GETs the pod and PUTs it back labelled completed=true, retrying on conflict
// (Argo: enablePodForDeletion with retry.RetryOnConflict).
func (c *podCleanup) labelCompleted(ctx context.Context, podName string) error {
	path := fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", c.namespace, podName)
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var pod map[string]interface{}
		if err = c.client.Do(ctx, "GET", path, nil, nil, "", &pod); err != nil {
			if isNotFound(err) {
				return nil
			}
			return err
		}
		meta, _ := pod["metadata"].(map[string]interface{})
		labels, _ := meta["labels"].(map[string]interface{})
		if labels == nil {
			labels = map[string]interface{}{}
			meta["labels"] = labels
		}
		labels[labelCompleted] = "true"
		if err = c.client.Do(ctx, "PUT", path, nil, pod, "", nil); err == nil || !isConflict(err) {
			return err
		}
	}
	return err
}

// isTransient tells whether a failed request is worth retrying.
func isTransient(err error) bool {
	code := statusCode(err)
	return code == 0 || code == 409 || code == 429 || code >= 500
}
