package main

// The workflow reconciler: a few workers on a queue of workflow names (Argo:
// wfQueue and operator.go, much reduced). A new workflow gets one pod per step
// (containers main + wait + the template's sidecars); the workflow status
// (phase, startedAt, finishedAt, nodes) follows the pods; when a pod's main
// container has exited while others still run the pod goes to pod cleanup
// (terminateContainers: exec kill into them), and when all its containers
// have ended, to labelPodCompleted and, later, deletePod.

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

type reconciler struct {
	namespace string
	client    *Client
	wfs       *informer[Workflow]
	pods      *informer[Pod]
	queue     *workQueue
	cleanup   *podCleanup
	events    *eventRecorder
	metrics   *Metrics
}

type step struct {
	name     string // display name
	podName  string
	template *Template
}

func (r *reconciler) run(ctx context.Context, workers int, wg *sync.WaitGroup) {
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				name, ok := r.queue.Get()
				if !ok {
					return
				}
				if err := r.reconcile(ctx, name); err != nil && ctx.Err() == nil {
					log.Printf("level=warning msg=\"reconcile failed\" workflow=%s error=%q", name, err)
					if isTransient(err) {
						r.queue.AddAfter(name, 200e6) // 200 ms
					}
				}
				r.queue.Done(name)
			}
		}()
	}
}

func (r *reconciler) reconcile(ctx context.Context, name string) error {
	wf, ok := r.wfs.Get(name)
	if !ok || wf.Metadata.DeletionTimestamp != nil || fulfilled(wf.Status.Phase) {
		return nil
	}
	if isNew(wf.Status.Phase) {
		return r.start(ctx, wf)
	}
	return r.operate(ctx, wf)
}

// isNew tells whether a workflow has not been started yet (no phase, or Pending as an API server may default it).
func isNew(phase string) bool { return phase == "" || phase == "Pending" }

var nonDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// plan returns the workflow's steps: the entrypoint's steps (all groups, run at once), or the entrypoint itself.
func plan(wf *Workflow) ([]step, error) {
	tmpls := map[string]*Template{}
	for i := range wf.Spec.Templates {
		tmpls[wf.Spec.Templates[i].Name] = &wf.Spec.Templates[i]
	}
	entry := tmpls[wf.Spec.Entrypoint]
	if entry == nil {
		return nil, fmt.Errorf("entrypoint template %q not found", wf.Spec.Entrypoint)
	}
	podName := func(s string) string {
		n := nonDNS.ReplaceAllString(strings.ToLower(wf.Metadata.Name+"-"+s), "-")
		if len(n) > 63 {
			n = n[:63]
		}
		return strings.Trim(n, "-")
	}
	if entry.Container != nil {
		return []step{{name: entry.Name, podName: podName(entry.Name), template: entry}}, nil
	}
	var steps []step
	for _, group := range entry.Steps {
		for _, s := range group {
			t := tmpls[s.Template]
			if t == nil || t.Container == nil {
				return nil, fmt.Errorf("step %q: template %q is not a container template", s.Name, s.Template)
			}
			steps = append(steps, step{name: s.Name, podName: podName(s.Name), template: t})
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("entrypoint %q has neither a container nor steps", entry.Name)
	}
	return steps, nil
}

// start creates the workflow's pods and marks it Running.
func (r *reconciler) start(ctx context.Context, wf *Workflow) error {
	steps, err := plan(wf)
	if err != nil {
		r.events.Event(workflowRef(wf), "Warning", "WorkflowFailed", err.Error())
		return r.updateStatus(ctx, wf.Metadata.Name, func(st *WorkflowStatus) bool {
			if !isNew(st.Phase) {
				return false
			}
			st.Phase, st.Message, st.StartedAt, st.FinishedAt = "Failed", err.Error(), now(), now()
			return true
		})
	}
	mainRunMs := 800
	if v, err := strconv.Atoi(wf.Metadata.Annotations[annMainRunMs]); err == nil && v >= 0 {
		mainRunMs = v
	}
	for _, s := range steps {
		if err := r.createPod(ctx, wf, s, mainRunMs); err != nil {
			return err
		}
	}
	started := now()
	err = r.updateStatus(ctx, wf.Metadata.Name, func(st *WorkflowStatus) bool {
		if !isNew(st.Phase) {
			return false
		}
		st.Phase, st.StartedAt, st.Progress = "Running", started, fmt.Sprintf("0/%d", len(steps))
		st.Nodes = map[string]NodeStatus{}
		for _, s := range steps {
			st.Nodes[s.podName] = NodeStatus{ID: s.podName, Name: wf.Metadata.Name + "." + s.name, DisplayName: s.name,
				Type: "Pod", TemplateName: s.template.Name, Phase: "Pending", StartedAt: started}
		}
		return true
	})
	if err == nil {
		r.events.Event(workflowRef(wf), "Normal", "WorkflowRunning", "Workflow Running")
	}
	return err
}

func (r *reconciler) createPod(ctx context.Context, wf *Workflow, s step, mainRunMs int) error {
	main := *s.template.Container
	main.Name = mainContainer
	containers := []Container{main, {Name: waitContainer, Image: "quay.io/argoproj/argoexec:v3.6.0-rc1", Command: []string{"argoexec"}, Args: []string{"wait"}}}
	containers = append(containers, s.template.Sidecars...)
	exitAfter, _ := json.Marshal(map[string]int{mainContainer: mainRunMs})
	pod := map[string]interface{}{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata": map[string]interface{}{
			"name":      s.podName,
			"namespace": r.namespace,
			"labels":    map[string]string{labelWorkflow: wf.Metadata.Name, labelCompleted: "false"},
			"annotations": map[string]string{
				"workflows.argoproj.io/node-name": wf.Metadata.Name + "." + s.name,
				annExitAfterMs:                    string(exitAfter),
			},
			"ownerReferences": []OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow", Name: wf.Metadata.Name,
				UID: wf.Metadata.UID, Controller: true, BlockOwnerDeletion: true}},
		},
		"spec": map[string]interface{}{"containers": containers, "restartPolicy": "Never"},
	}
	err := r.client.Do(ctx, "POST", fmt.Sprintf("/api/v1/namespaces/%s/pods", r.namespace), nil, pod, "", nil)
	if isAlreadyExists(err) {
		return nil
	}
	return err
}

// operate moves nodes along with their pods and completes the workflow when every node has.
func (r *reconciler) operate(ctx context.Context, wf *Workflow) error {
	changes := map[string]NodeStatus{}
	var done []*Pod
	for id, node := range wf.Status.Nodes {
		if fulfilled(node.Phase) {
			continue
		}
		pod, ok := r.pods.Get(id)
		if !ok {
			if node.Phase == "Running" { // it ran and is gone
				node.Phase, node.Message, node.FinishedAt = "Error", "pod deleted", now()
				changes[id] = node
			}
			continue
		}
		main := pod.containerState(mainContainer)
		switch {
		case pod.allTerminated():
			node.Phase, node.FinishedAt = "Succeeded", now()
			if main == nil || main.Terminated == nil || main.Terminated.ExitCode != 0 {
				node.Phase, node.Message = "Failed", "main container failed"
			}
			changes[id] = node
			done = append(done, pod)
		case main != nil && main.Terminated != nil:
			r.cleanup.terminate(pod) // main exited, wait/sidecars still run: signal them
			fallthrough
		case pod.Status.Phase == "Running" && node.Phase == "Pending":
			if node.Phase == "Pending" {
				node.Phase = "Running"
				changes[id] = node
			}
		}
	}
	if len(changes) == 0 {
		return nil
	}
	var finalPhase string
	err := r.updateStatus(ctx, wf.Metadata.Name, func(st *WorkflowStatus) bool {
		if fulfilled(st.Phase) || st.Nodes == nil {
			return false
		}
		changed := false
		for id, n := range changes {
			if cur, ok := st.Nodes[id]; ok && !fulfilled(cur.Phase) && cur.Phase != n.Phase {
				st.Nodes[id] = n
				changed = true
			}
		}
		succeeded, failed := 0, 0
		for _, n := range st.Nodes {
			switch {
			case n.Phase == "Succeeded":
				succeeded++
			case fulfilled(n.Phase):
				failed++
			}
		}
		st.Progress = fmt.Sprintf("%d/%d", succeeded, len(st.Nodes))
		if succeeded+failed == len(st.Nodes) {
			st.Phase, st.FinishedAt = "Succeeded", now()
			if failed > 0 {
				st.Phase, st.Message = "Failed", fmt.Sprintf("%d of %d steps failed", failed, len(st.Nodes))
			}
			finalPhase = st.Phase
			changed = true
		}
		return changed
	})
	if err != nil {
		return err
	}
	for id, n := range changes {
		if fulfilled(n.Phase) {
			r.events.Event(workflowRef(wf), "Normal", "WorkflowNode"+n.Phase, fmt.Sprintf("%s node %s", n.Phase, id))
		} else {
			r.events.Event(workflowRef(wf), "Normal", "WorkflowNodeRunning", "Running node "+id)
		}
	}
	for _, pod := range done {
		r.cleanup.completed(pod)
	}
	if finalPhase != "" {
		r.metrics.AddInt(nameWorkflowsDone, 1, "phase", finalPhase)
		r.events.Event(workflowRef(wf), "Normal", "Workflow"+finalPhase, "Workflow completed")
		log.Printf("level=info msg=\"workflow completed\" workflow=%s phase=%s", wf.Metadata.Name, finalPhase)
	}
	return nil
}

// updateStatus GETs the workflow, applies mutate to its status and PUTs the status
// subresource; on a 409 Conflict it GETs and tries again. mutate returns false for no change.
func (r *reconciler) updateStatus(ctx context.Context, name string, mutate func(*WorkflowStatus) bool) error {
	path := fmt.Sprintf("/apis/argoproj.io/v1alpha1/namespaces/%s/workflows/%s", r.namespace, name)
	var err error
	wf, ok := r.wfs.Get(name) // first try from the cache, like Argo
	for attempt := 0; attempt < 5; attempt++ {
		if !ok {
			wf = &Workflow{}
			if err = r.client.Do(ctx, "GET", path, nil, nil, "", wf); err != nil {
				return err
			}
		}
		if !mutate(&wf.Status) {
			return nil
		}
		wf.APIVersion, wf.Kind = "argoproj.io/v1alpha1", "Workflow"
		if err = r.client.Do(ctx, "PUT", path+"/status", nil, wf, "", nil); err == nil || !isConflict(err) {
			return err
		}
		ok = false // conflict: GET and apply again
	}
	return err
}
