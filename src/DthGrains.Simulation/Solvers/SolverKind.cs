namespace DthGrains.Simulation.Solvers;

/// <summary>Which integrator to use.</summary>
public enum SolverKind
{
    /// <summary>Dormand–Prince 5(4) with stiffness detection; switches to Rodas4 when the problem turns out stiff.</summary>
    Auto = 0,

    /// <summary>Explicit adaptive Dormand–Prince 5(4), FSAL, 4th-order dense output.</summary>
    DormandPrince45 = 1,

    /// <summary>Linearly implicit Rosenbrock method Rodas4 (Hairer–Wanner), L-stable, 3rd-order dense output.</summary>
    Rodas4 = 2,
}
