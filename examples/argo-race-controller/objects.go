package main

// The few fields of Kubernetes and Argo objects this controller reads and writes.

import (
	"encoding/json"
	"time"
)

const (
	labelWorkflow  = "workflows.argoproj.io/workflow"  // Argo common.LabelKeyWorkflow
	labelCompleted = "workflows.argoproj.io/completed" // Argo common.LabelKeyCompleted
	annMainRunMs   = "racerig.dev/main-run-ms"         // workflow: how long `main` runs (default 800)
	annExitAfterMs = "racerig.dev/container-exit-after-ms"
	mainContainer  = "main" // Argo common.MainContainerName
	waitContainer  = "wait" // Argo common.WaitContainerName
)

type ObjectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace,omitempty"`
	UID               string            `json:"uid,omitempty"`
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	CreationTimestamp string            `json:"creationTimestamp,omitempty"`
	DeletionTimestamp *string           `json:"deletionTimestamp,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	OwnerReferences   []OwnerReference  `json:"ownerReferences,omitempty"`
}

type OwnerReference struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         bool   `json:"controller,omitempty"`
	BlockOwnerDeletion bool   `json:"blockOwnerDeletion,omitempty"`
}

type Workflow struct {
	APIVersion string         `json:"apiVersion,omitempty"`
	Kind       string         `json:"kind,omitempty"`
	Metadata   ObjectMeta     `json:"metadata"`
	Spec       WorkflowSpec   `json:"spec"`
	Status     WorkflowStatus `json:"status,omitempty"`
}

type WorkflowSpec struct {
	Entrypoint string     `json:"entrypoint,omitempty"`
	Templates  []Template `json:"templates,omitempty"`
	// ActiveDeadlineSeconds: the workflow fails this long after status.startedAt (truncated to the second).
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`
	// PodSpecPatch: a JSON patch of every pod's spec; only terminationGracePeriodSeconds is read here.
	PodSpecPatch string `json:"podSpecPatch,omitempty"`
	// PodMetadata: labels and annotations put on every pod.
	PodMetadata *Metadata `json:"podMetadata,omitempty"`
}

// Metadata is Argo's wfv1.Metadata: what a workflow or template adds to its pods' metadata.
type Metadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type Template struct {
	Name      string           `json:"name"`
	Container *Container       `json:"container,omitempty"`
	Sidecars  []Container      `json:"sidecars,omitempty"`
	Steps     [][]WorkflowStep `json:"steps,omitempty"`
	// Daemon: the step counts as done once its pod runs and is ready; the pod is killed when its steps end.
	Daemon       *bool    `json:"daemon,omitempty"`
	Metadata     Metadata `json:"metadata,omitempty"`
	PodSpecPatch string   `json:"podSpecPatch,omitempty"`
}

// isDaemon is Argo's Template.IsDaemon.
func (t *Template) isDaemon() bool { return t != nil && t.Daemon != nil && *t.Daemon }

type WorkflowStep struct {
	Name     string `json:"name"`
	Template string `json:"template"`
}

type Container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image,omitempty"`
	Command []string `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
}

type WorkflowStatus struct {
	Phase      string                `json:"phase,omitempty"`
	StartedAt  string                `json:"startedAt,omitempty"`
	FinishedAt string                `json:"finishedAt,omitempty"`
	Message    string                `json:"message,omitempty"`
	Progress   string                `json:"progress,omitempty"`
	Nodes      map[string]NodeStatus `json:"nodes,omitempty"`
}

type NodeStatus struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	Type         string `json:"type"`
	TemplateName string `json:"templateName,omitempty"`
	Phase        string `json:"phase"`
	StartedAt    string `json:"startedAt,omitempty"`
	FinishedAt   string `json:"finishedAt,omitempty"`
	Message      string `json:"message,omitempty"`
	// Daemoned: a daemon step whose pod runs and is ready (Argo: NodeStatus.Daemoned).
	Daemoned *bool `json:"daemoned,omitempty"`
}

// isDaemoned is Argo's NodeStatus.IsDaemoned.
func (n NodeStatus) isDaemoned() bool { return n.Daemoned != nil && *n.Daemoned }

// nodeFulfilled is Argo's NodeStatus.Fulfilled: a final phase, or daemoned and past Pending.
func (n NodeStatus) nodeFulfilled() bool {
	return fulfilled(n.Phase) || n.isDaemoned() && n.Phase != "Pending"
}

// fulfilled tells whether a node or workflow phase is final.
func fulfilled(phase string) bool {
	return phase == "Succeeded" || phase == "Failed" || phase == "Error"
}

type Pod struct {
	APIVersion string     `json:"apiVersion,omitempty"`
	Kind       string     `json:"kind,omitempty"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       PodSpec    `json:"spec"`
	Status     PodStatus  `json:"status,omitempty"`
}

type PodSpec struct {
	Containers                    []Container `json:"containers"`
	RestartPolicy                 string      `json:"restartPolicy,omitempty"`
	TerminationGracePeriodSeconds *int64      `json:"terminationGracePeriodSeconds,omitempty"`
}

type PodStatus struct {
	Phase             string            `json:"phase,omitempty"`
	ContainerStatuses []ContainerStatus `json:"containerStatuses,omitempty"`
}

type ContainerStatus struct {
	Name  string         `json:"name"`
	Ready bool           `json:"ready"`
	State ContainerState `json:"state"`
}

type ContainerState struct {
	Running    *struct{} `json:"running,omitempty"`
	Waiting    *struct{} `json:"waiting,omitempty"`
	Terminated *struct {
		ExitCode int    `json:"exitCode"`
		Reason   string `json:"reason,omitempty"`
	} `json:"terminated,omitempty"`
}

// containerState returns the status of container `name` (nil if not reported yet).
func (p *Pod) containerState(name string) *ContainerState {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i].State
		}
	}
	return nil
}

// allTerminated tells whether every container of the pod has terminated (or the pod has ended).
func (p *Pod) allTerminated() bool {
	if p.Status.Phase == "Succeeded" || p.Status.Phase == "Failed" {
		return true
	}
	if len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, c := range p.Status.ContainerStatuses {
		if c.State.Terminated == nil {
			return false
		}
	}
	return true
}

// allReady tells whether every container of the pod reports ready (Argo: a daemon node is daemoned only then).
func (p *Pod) allReady() bool {
	if len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, c := range p.Status.ContainerStatuses {
		if !c.Ready {
			return false
		}
	}
	return true
}

// deepCopy returns an independent copy of v (through JSON, which is all these types hold).
func deepCopy[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }
